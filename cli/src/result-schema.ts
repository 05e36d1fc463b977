// Typed JSON Schema builders for the `--json` results (the CLI contract). Each builder carries the
// TypeScript type it describes, so `RESULT_SCHEMAS` (results.ts) is checked by the compiler against
// what every command's run() returns (command-results.ts). API objects are `$ref`s to the spec's
// component schemas, which scripts/command-snapshot.ts copies from openapi/openapi.json, so a change
// in the API's shapes shows up as drift in the CLI's snapshot too.
import type { components, operations } from '@tiketi/sdk';

type Components = components['schemas'];

/** A JSON Schema for values of type T (T exists only for the compiler). */
export interface Schema<T> {
  readonly json: Record<string, unknown>;
  readonly __type?: T;
}
export type TypeOf<S> = S extends Schema<infer T> ? T : never;

/** An API object by its name in the spec's components. */
export const ref = <K extends keyof Components & string>(name: K): Schema<Components[K]> => ({ json: { $ref: `#/definitions/${name}` } });
/** The 200 answer of an API operation whose schema has no component name (the stats views). */
export const response = <Op extends keyof operations & string>(
  operationId: Op,
): Schema<operations[Op]['responses'] extends { 200: { content: { 'application/json': infer R } } } ? R : never> => ({
  json: { $ref: `#/definitions/op.${operationId}` },
});
export const string: Schema<string> = { json: { type: 'string' } };
export const integer: Schema<number> = { json: { type: 'integer' } };
export const number: Schema<number> = { json: { type: 'number' } };
export const boolean: Schema<boolean> = { json: { type: 'boolean' } };
export const literal = <const V extends string | boolean>(value: V): Schema<V> => ({ json: { const: value } });
export const enums = <const V extends string>(...values: V[]): Schema<V> => ({ json: { type: 'string', enum: values } });
export const nullable = <T>(s: Schema<T>): Schema<T | null> => ({ json: { anyOf: [s.json, { type: 'null' }] } });
export const array = <T>(item: Schema<T>): Schema<T[]> => ({ json: { type: 'array', items: item.json } });

/** Marks a property of `object` as optional. */
export interface Optional<T> extends Schema<T> {
  readonly optional: true;
}
export const optional = <T>(s: Schema<T>): Optional<T> => ({ ...s, optional: true });

type Props = Record<string, Schema<unknown>>;
type RequiredKeys<P extends Props> = { [K in keyof P]: P[K] extends Optional<unknown> ? never : K }[keyof P];
type OptionalKeys<P extends Props> = Exclude<keyof P, RequiredKeys<P>>;
type ObjectOf<P extends Props> = { [K in RequiredKeys<P>]: TypeOf<P[K]> } & { [K in OptionalKeys<P>]?: TypeOf<P[K]> };

export const object = <P extends Props>(props: P): Schema<ObjectOf<P>> => ({
  json: {
    type: 'object',
    properties: Object.fromEntries(Object.entries(props).map(([k, s]) => [k, s.json])),
    required: Object.entries(props)
      .filter(([, s]) => !(s as Partial<Optional<unknown>>).optional)
      .map(([k]) => k),
    additionalProperties: false,
  },
});

/** A page of a list: `{ data, nextCursor }` (nextCursor null on the last page and with --all). */
export const page = <T>(item: Schema<T>) => object({ data: array(item), nextCursor: nullable(string) });
