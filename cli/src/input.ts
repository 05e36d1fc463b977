// Request bodies from a JSON or YAML file (`--file x.yaml`, `-` for stdin) or inline (`--data`).
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
