// Two ways to run `tiketi` in tests. `runCli` runs the BUILT commands in this process (oclif's
// Config.load + run, stdout and stderr captured): about 50 times cheaper than a process each, and
// the API under test, which lives in this process too, keeps answering because every call is
// asynchronous. `spawnCli` / `startCli` run bin/run.js as a user would, for the few end-to-end
// checks that need a real process (a pipe on stdin, --version, the exit status, Ctrl-C).
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { Config, run } from '@oclif/core';

export const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json: unknown;
}

/** A fresh config home (XDG_CONFIG_HOME) so profiles never touch the real user's. */
export const tempConfigHome = () => mkdtempSync(path.join(tmpdir(), 'tiketi-cli-'));

const parse = (stdout: string): unknown => {
  try {
    return JSON.parse(stdout);
  } catch {
    return undefined;
  }
};

/** The `result` of a successful --json run (the envelope's payload). */
export const resultOf = <T = Record<string, unknown>>(run: CliRun): T => (run.json as { result: T }).result;

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `tiketi <args>` in this process with `env` as its only TIKETI_* variables. Runs are
 * serialised: they share process.env, process.exitCode and the standard streams.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  const next = queue.then(() => runInProcess(args, env));
  queue = next.catch(() => undefined);
  return next;
}

async function runInProcess(args: string[], env: Record<string, string | undefined>): Promise<CliRun> {
  const savedEnv = { ...process.env };
  const savedExitCode = process.exitCode;
  for (const key of Object.keys(process.env)) if (key.startsWith('TIKETI_')) delete process.env[key];
  Object.assign(process.env, { NO_COLOR: '1', ...env });
  process.exitCode = undefined;
  let stdout = '';
  let stderr = '';
  const writeOut = process.stdout.write;
  const writeErr = process.stderr.write;
  const capture = (append: (s: string) => void) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture((s) => (stdout += s));
  process.stderr.write = capture((s) => (stderr += s));
  // oclif prints through console.log / console.error, which the test runner intercepts first.
  const consoleSaved = { log: console.log, info: console.info, error: console.error, warn: console.warn };
  console.log = console.info = (...parts: unknown[]) => void (stdout += `${format(...parts)}\n`);
  console.error = console.warn = (...parts: unknown[]) => void (stderr += `${format(...parts)}\n`);
  let code: number;
  try {
    const config = await Config.load({ root: ROOT });
    await run(args, config);
    code = Number(process.exitCode ?? 0);
  } catch (err) {
    const e = err as { oclif?: { exit?: number }; message?: string; code?: string };
    if (e.code !== 'EEXIT' && e.message) stderr += `${e.message}\n`;
    code = e.oclif?.exit ?? Number(process.exitCode ?? 1);
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    Object.assign(console, consoleSaved);
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
    process.exitCode = savedExitCode;
  }
  return { code, stdout, stderr, json: parse(stdout) };
}

/** Runs the built `tiketi` as a child process, as a user would. */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<CliRun> {
  // Start from a clean slate: no inherited TIKETI_* credential may leak into a test.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TIKETI_')));
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...base, NO_COLOR: '1', ...env }, timeout: 45_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, json: parse(stdout) });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** A long-running `tiketi` (e.g. `seats map --watch`): read its output as it comes, then stop it. */
export function startCli(args: string[], env: Record<string, string | undefined> = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TIKETI_')));
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...base, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    /** Resolves once the output matches, or fails after `timeoutMs`. */
    async waitFor(pattern: RegExp, stream: 'stdout' | 'stderr' = 'stdout', timeoutMs = 30_000): Promise<void> {
      const started = Date.now();
      while (!pattern.test(stream === 'stdout' ? stdout : stderr)) {
        if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${pattern}; stdout:\n${stdout}\nstderr:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop(): Promise<number | null> {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
