// Runs the real entry point (api/src/server.ts) as a child process, as `npm start` would.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  realtimePort: number;
  /** Every log line so far. */
  lines: string[];
  /** Sends SIGTERM (or `signal`) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/** `cwd`: another checkout to run (a copy in a locked directory, say); default this one. */
export async function startServerProcess(
  env: Record<string, string | undefined>,
  readyTimeoutMs = 60_000,
  cwd: string = ROOT,
): Promise<ServerProcess> {
  const port = await freePort();
  const realtimePort = await freePort();
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({
    ...process.env,
    PORT: String(port),
    REALTIME_PORT: String(realtimePort),
    HOST: '127.0.0.1',
    ...env,
  })) {
    if (v !== undefined) childEnv[k] = v;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/src/server.ts'], {
    cwd,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server not ready after ${readyTimeoutMs} ms:\n${lines.join('\n')}`)), readyTimeoutMs);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(line);
        if (line.includes('TIKETI ready')) {
          clearTimeout(timer);
          resolve();
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before ready:\n${lines.join('\n')}`));
    });
  });
  return {
    child,
    baseUrl: `http://127.0.0.1:${port}`,
    realtimePort,
    lines,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      return exited;
    },
  };
}
