// Runs the BUILT `tiketi` (cli/bin/run.js) as a child process, as a user would. Asynchronous on
// purpose: the API under test lives in this process and must keep answering meanwhile.
import { execFile } from 'node:child_process';
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
