// Request bodies from a JSON or YAML file (`--file x.yaml`, `-` for stdin) or inline (`--data`).
// `update --file` also takes what `get --json` printed: the envelope is unwrapped and the fields the
// API does not let you change (id, createdAt, ticketTypes ...) are left out, so get → edit → update
// is a round trip.
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { CliFailure, EXIT_CODES } from './failures.js';
import type { Body } from './api.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses JSON or YAML (YAML 1.2 reads JSON too) into an object, or fails with INVALID_FILE. */
export function parseBody(text: string, source: string): Body {
  let value: unknown;
  try {
    value = parse(text, { prettyErrors: true });
  } catch (err) {
    throw new CliFailure(
      'INVALID_FILE',
      `${source} is not valid JSON or YAML: ${err instanceof Error ? err.message : String(err)}`,
      EXIT_CODES.validation,
      'Fix the syntax and retry.',
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliFailure(
      'INVALID_FILE',
      `${source} must hold one object (a mapping of fields)`,
      EXIT_CODES.validation,
      'See the examples in `--help`.',
    );
  }
  return value as Body;
}

/** The body of a create or update: from `--file` or `--data`, whichever was given. */
export async function readBody(flags: { file?: string; data?: string }): Promise<Body> {
  if (flags.data !== undefined) return parseBody(flags.data, '--data');
  const file = flags.file;
  if (file === undefined)
    throw new CliFailure('INVALID_ARGUMENTS', 'Give the body with --file or --data', EXIT_CODES.validation, 'Pass --file body.yaml.');
  if (file === '-') return parseBody(await readStdin(), 'standard input');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : err instanceof Error ? err.message : String(err);
    throw new CliFailure('INVALID_FILE', `Cannot read ${file}: ${reason}`, EXIT_CODES.validation, 'Check the path.');
  }
  return parseBody(text, file);
}

/**
 * An update body as the API takes it. A `get --json` answer (the `{ status, result }` envelope, or
 * the bare object with its `id`) keeps only the writable fields; the rest are named in `ignored`.
 * A hand-written body is passed on as it is, so a typo still gets the API's VALIDATION_FAILED.
 */
export function updateBody(body: Body, writable: readonly string[]): { body: Body; ignored: string[] } {
  const result = body.status === 'ok' && typeof body.result === 'object' && body.result !== null ? (body.result as Body) : undefined;
  const object = result ?? body;
  if (!result && !('id' in object)) return { body: object, ignored: [] };
  const keep = new Set(writable);
  const ignored = Object.keys(object).filter((k) => !keep.has(k));
  return { body: Object.fromEntries(Object.entries(object).filter(([k]) => keep.has(k))), ignored };
}

/**
 * Every key of `B`, each once: the compiler fails when the API's update body gains or loses a
 * field, so the list of writable fields cannot drift from the spec.
 */
export const keysOf =
  <B>() =>
  <const K extends readonly (keyof B & string)[]>(
    keys: K & ([Exclude<keyof B, K[number]>] extends [never] ? unknown : never),
  ): readonly string[] =>
    keys;
