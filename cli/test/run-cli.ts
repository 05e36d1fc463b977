// Runs the BUILT `tiketi` (cli/bin/run.js) as a child process, as a user would. Asynchronous on
// purpose: the API under test lives in this process and must keep answering meanwhile.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json: unknown;
}

/** A fresh config home (XDG_CONFIG_HOME) so profiles never touch the real user's. */
export const tempConfigHome = () => mkdtempSync(path.join(tmpdir(), 'tiketi-cli-'));

export function runCli(args: string[], env: Record<string, string | undefined> = {}, input?: string): Promise<CliRun> {
  // Start from a clean slate: no inherited TIKETI_* credential may leak into a test.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TIKETI_')));
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...base, NO_COLOR: '1', ...env }, timeout: 45_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          json = undefined;
        }
        resolve({ code, stdout, stderr, json });
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
