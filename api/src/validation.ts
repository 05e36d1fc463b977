import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { AppError } from './errors.js';

type Ajv = { addFormat(name: string, format: RegExp | ((value: string) => boolean)): unknown };

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * An RFC 3339 date-time that PostgreSQL's timestamptz stores as written: ajv-formats also accepts
 * year 0000, offsets up to ±23:59 and the leap second 23:59:60, which PostgreSQL refuses (a 500
 * before). Years stop at 9999 so that every value has the four-digit form.
 */
export function isStorableDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)) return false;
  if (m[7] !== undefined && (Number(m[7]) > 15 || Number(m[8]) > 59)) return false;
  return true;
}

/** One strict meaning of `uuid` and `date-time` for every schema, request parts and shared ones alike. */
function strictFormats(ajv: Ajv) {
  ajv.addFormat('uuid', UUID);
  ajv.addFormat('date-time', isStorableDateTime);
}

const common = {
  removeAdditional: false, // unknown fields are an error, not silently dropped
  useDefaults: true,
  // The first error only: with allErrors a 1 MB body of 92,000 unknown keys cost 150-270 ms of event
  // loop and answered a 5.2 MB error list.
  allErrors: false,
};

/**
 * Request validation with two Ajv instances: JSON bodies are validated as sent (`"title": 12345` or
 * `"price": null` is a 400, never coerced), while the querystring, params and headers, which are
 * text on the wire, are coerced to the declared types.
 */
export function validatorCompilers(): NonNullable<FastifyServerOptions['schemaController']> {
  const factory = AjvCompiler();
  return {
    compilersFactory: {
      buildValidator(externalSchemas, options: { plugins?: unknown[] } = {}) {
        const build = (coerceTypes: false | 'array') =>
          factory(
            externalSchemas as never,
            {
              plugins: options.plugins ?? [],
              customOptions: { ...common, coerceTypes },
              onCreate: strictFormats,
            } as never,
          ) as (route: { httpPart?: string }) => unknown;
        const body = build(false);
        const text = build('array');
        return (route: { httpPart?: string }) => (route.httpPart === 'body' ? body(route) : text(route));
      },
    },
  } as NonNullable<FastifyServerOptions['schemaController']>;
}

// A \u escape of a UTF-16 surrogate: the only way a lone surrogate reaches a JSON body (raw bytes
// that are not UTF-8 decode to U+FFFD).
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (text: string) => !LONE_SURROGATE.test(text);

/** JSON pointer of the first string (key or value) that is not well-formed Unicode, if any. */
function illFormedText(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return wellFormed(value) ? undefined : path;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (!wellFormed(key)) return at;
    const found = illFormedText(item, at);
    if (found) return found;
  }
  return undefined;
}

/**
 * JSON bodies through Fastify's own parser (prototype-poisoning checks included), refusing text
 * with a lone surrogate: PostgreSQL cannot store it (a 500 before). Only bodies that contain a
 * surrogate escape are walked.
 */
export function jsonBodies(app: FastifyInstance) {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parse(request, body as string, (err, value) => {
      if (err) return done(err, undefined);
      const bad = SURROGATE_ESCAPE.test(body as string) ? illFormedText(value, '/body') : undefined;
      if (bad) {
        return done(
          new AppError('VALIDATION_FAILED', 'Text must be valid Unicode', { errors: [{ path: bad, message: 'has a lone surrogate' }] }),
          undefined,
        );
      }
      done(null, value);
    });
  });
}
