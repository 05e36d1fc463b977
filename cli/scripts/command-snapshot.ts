// The CLI contract: every command with its args and flags (type, options, default, char, required,
// env) from the oclif manifest that `npm run build -w cli` writes, and the JSON Schema of its
// `--json` result from RESULT_SCHEMAS (src/results.ts, checked by the compiler against each command),
// with the API objects it refers to copied from the committed spec (openapi/openapi.json).
// `--write` updates cli/command-snapshot.json; without it the script fails when the CLI and the
// committed snapshot differ (cli/test/contract.test.ts checks the same in the test run).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { RESULT_SCHEMAS } from '../src/results.js';

export interface FlagSnapshot {
  name: string;
  type: 'boolean' | 'option';
  char?: string;
  required?: true;
  multiple?: true;
  options?: string[];
  default?: unknown;
  env?: string;
}

export interface CommandSnapshot {
  command: string;
  args: { name: string; required?: true; options?: string[] }[];
  flags: FlagSnapshot[];
  /** JSON Schema of `result` in the success envelope; `$ref`s point into `definitions`. */
  result: unknown;
}

export interface Snapshot {
  /** The envelope every --json answer is wrapped in. */
  envelope: { success: string; failure: string };
  commands: CommandSnapshot[];
  definitions: Record<string, unknown>;
}

interface ManifestFlag {
  name: string;
  type: 'boolean' | 'option';
  char?: string;
  required?: boolean;
  multiple?: boolean;
  options?: string[];
  default?: unknown;
  env?: string;
}
interface Manifest {
  commands: Record<
    string,
    {
      id: string;
      pluginName?: string;
      args: Record<string, { name: string; required?: boolean; options?: string[] }>;
      flags: Record<string, ManifestFlag>;
    }
  >;
}

export const MANIFEST_PATH = fileURLToPath(new URL('../oclif.manifest.json', import.meta.url));
export const SNAPSHOT_PATH = fileURLToPath(new URL('../command-snapshot.json', import.meta.url));
const SPEC_PATH = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url));

function flagSnapshot(f: ManifestFlag): FlagSnapshot {
  return {
    name: f.name,
    type: f.type,
    ...(f.char ? { char: f.char } : {}),
    ...(f.required ? { required: true as const } : {}),
    ...(f.multiple ? { multiple: true as const } : {}),
    ...(f.options ? { options: [...f.options] } : {}),
    ...(f.default !== undefined ? { default: f.default } : {}),
    ...(f.env ? { env: f.env } : {}),
  };
}

interface Spec {
  components: { schemas: Record<string, unknown> };
  paths: Record<
    string,
    Record<string, { operationId?: string; responses?: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
}

/** The schema of an operation's 200 answer. */
function operationResponse(spec: Spec, operationId: string): unknown {
  for (const methods of Object.values(spec.paths))
    for (const op of Object.values(methods))
      if (op.operationId === operationId) return op.responses?.['200']?.content?.['application/json']?.schema;
  return undefined;
}

/** The result schemas by command id, and the spec's component schemas they reach (refs rewritten). */
export function resultSchemas(): { byCommand: Record<string, unknown>; definitions: Record<string, unknown> } {
  const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as Spec;
  const rewrite = (value: unknown): unknown =>
    JSON.parse(JSON.stringify(value).replaceAll('"#/components/schemas/', '"#/definitions/')) as unknown;
  const byCommand = Object.fromEntries(Object.entries(RESULT_SCHEMAS).map(([id, schema]) => [id, schema.json]));
  const definitions: Record<string, unknown> = {};
  const pending = [JSON.stringify(byCommand)];
  while (pending.length > 0) {
    for (const [, name] of pending.pop()!.matchAll(/"#\/(?:definitions|components\/schemas)\/([^"]+)"/g)) {
      if (name === undefined || name in definitions) continue;
      const schema = name.startsWith('op.') ? operationResponse(spec, name.slice(3)) : spec.components.schemas[name];
      if (schema === undefined) throw new Error(`the spec has no component schema ${name}`);
      definitions[name] = rewrite(schema);
      pending.push(JSON.stringify(schema));
    }
  }
  const sorted = Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b)));
  return { byCommand, definitions: sorted };
}

export function currentSnapshot(): Snapshot {
  const manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as Manifest;
  const { byCommand, definitions } = resultSchemas();
  const commands = Object.values(manifest.commands)
    .map((c) => {
      const result = byCommand[c.id];
      if (result === undefined) throw new Error(`${c.id} has no entry in CommandResults (cli/src/results.ts)`);
      return {
        command: c.id,
        // Arg order is part of the contract, so it is kept as declared.
        args: Object.values(c.args).map((a) => ({
          name: a.name,
          ...(a.required ? { required: true as const } : {}),
          ...(a.options ? { options: a.options } : {}),
        })),
        flags: Object.values(c.flags)
          .map(flagSnapshot)
          .sort((a, b) => a.name.localeCompare(b.name)),
        result,
      };
    })
    .sort((a, b) => a.command.localeCompare(b.command));
  const extra = Object.keys(byCommand).filter((id) => !manifest.commands[id]);
  if (extra.length > 0) throw new Error(`CommandResults lists commands that do not exist: ${extra.join(', ')}`);
  return {
    envelope: {
      success: '{ "status": "ok", "result": <result>, "warnings": string[] }',
      failure:
        '{ "status": "error", "code", "message", "exitCode", "suggestion"?, "httpStatus"?, "requestId"?, "errors"?, "warnings": string[] }',
    },
    commands,
    definitions,
  };
}

export const committedSnapshot = () => JSON.parse(readFileSync(SNAPSHOT_PATH, 'utf8')) as Snapshot;
/** The snapshot as the repository's prettier would write it, so `npm run lint` stays clean. */
export async function render(snapshot: Snapshot): Promise<string> {
  const options = (await resolveConfig(SNAPSHOT_PATH)) ?? {};
  return format(JSON.stringify(snapshot), { ...options, filepath: SNAPSHOT_PATH });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const current = currentSnapshot();
  if (process.argv.includes('--write')) {
    writeFileSync(SNAPSHOT_PATH, await render(current));
    console.log(`wrote ${SNAPSHOT_PATH}`);
  } else if (JSON.stringify(current) !== JSON.stringify(committedSnapshot())) {
    console.error('cli/command-snapshot.json is out of date: if the change is intended, run `npm run snapshot -w cli` and commit it.');
    process.exit(1);
  } else {
    console.log('command snapshot up to date');
  }
}
