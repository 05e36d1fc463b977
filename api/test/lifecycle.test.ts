// The real process (api/src/server.ts) starting and stopping: draining on SIGTERM/SIGINT, server
// timeouts, one-line failures for taken ports, and root with a checkout in a 0700 directory.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { createEmptyDatabase } from '../../test/harness/app.js';
import { startServerProcess, type ServerProcess } from '../../test/harness/server-process.js';

// Each test starts the real process (tsx compiles it at start): generous bounds for a busy machine.
vi.setConfig({ testTimeout: 240_000 });
const READY_MS = 180_000;

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const isRoot = process.getuid?.() === 0;
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
});

/** Resolves once `predicate` holds, checking every 20 ms (waits for an event; proves no absence). */
async function until(predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A raw HTTP/1.1 exchange: write what you like, read everything the server sent until it closed. */
function rawConnection(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('utf8')));
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  socket.on('error', () => {});
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, connected, closed };
}

function openSocket(url: string): Promise<{ ws: WebSocket; closeCode: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const closeCode = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    ws.once('open', () => resolve({ ws, closeCode }));
    ws.once('error', reject);
  });
}

async function holdPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, release: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The output of a start that failed, from startServerProcess's rejection. */
async function failedStart(env: Record<string, string | undefined>): Promise<{ code: string; lines: string[] }> {
  const err = (await startServerProcess(env, READY_MS).then(
    async (s) => {
      await s.stop();
      throw new Error('the server started');
    },
    (e: Error) => e,
  )) as Error;
  const [head, ...lines] = err.message.split('\n');
  return { code: /exited with (\S+)/.exec(head!)?.[1] ?? head!, lines };
}

describe('shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s: stops accepting, finishes a request whose body is still arriving, closes WebSockets with 1001, exits 0',
    async (signal) => {
      const server: ServerProcess = await startServerProcess(
        {
          DATABASE_URL: await createEmptyDatabase(),
          REDIS_URL: undefined,
          TIKETI_SEED: 'none',
          HEADERS_TIMEOUT_MS: '1000',
        },
        READY_MS,
      );
      try {
        const port = Number(new URL(server.baseUrl).port);
        if (signal === 'SIGTERM') {
          // Headers that never finish are cut off after HEADERS_TIMEOUT_MS with a 408.
          const slowloris = rawConnection(port);
          await slowloris.connected;
          slowloris.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
          expect(await slowloris.closed).toMatch(/^HTTP\/1\.1 408/);
        }

        const direct = await openSocket(`ws://127.0.0.1:${server.realtimePort}/v1/realtime`);
        const viaApiPort = await openSocket(`ws://127.0.0.1:${port}/v1/realtime`);

        const email = `drain-${randomUUID()}@tiketi.dev`;
        const body = JSON.stringify({ email, password: 'drain-password-1', name: 'Drain' });
        const upload = rawConnection(port);
        await upload.connected;
        upload.socket.write(
          `POST /v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
        );
        upload.socket.write(body.slice(0, 10));
        await until(
          () => server.lines.some((l) => l.includes('incoming request') && l.includes('/v1/auth/register')),
          'the request to arrive',
        );

        server.child.kill(signal);
        await until(() => server.lines.some((l) => l.includes('shutting down')), 'shutdown to begin');

        expect(await direct.closeCode).toBe(1001);
        expect(await viaApiPort.closeCode).toBe(1001);
        // No new connections once draining.
        await expect(fetch(`${server.baseUrl}/health`)).rejects.toThrow();

        upload.socket.write(body.slice(10));
        const answer = await upload.closed;
        expect(answer).toMatch(/^HTTP\/1\.1 201/);
        expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ user: { email } });

        expect(await server.exited, server.lines.slice(-8).join('\n')).toBe(0);
        expect(server.lines.some((l) => l.includes('shut down cleanly'))).toBe(true);
      } finally {
        await server.stop();
      }
    },
  );
});

describe('realtime transport', () => {
  // If the realtime channel ever refuses to start on the shim instead, this test changes with it.
  it('on the ws shim (UWS_USE_FALLBACK=true): logged at warn, named in /ready and /metrics', async () => {
    const server = await startServerProcess({
      DATABASE_URL: await createEmptyDatabase(),
      REDIS_URL: undefined,
      TIKETI_SEED: 'none',
      UWS_USE_FALLBACK: 'true',
    });
    try {
      const line = server.lines.find((l) => l.includes('realtime channel on uWebSockets.js'));
      expect(JSON.parse(line!)).toMatchObject({ level: 40, transport: 'shim' });
      expect(((await (await fetch(`${server.baseUrl}/ready`)).json()) as { checks: unknown }).checks).toMatchObject({
        realtime: { status: 'ok', kind: 'shim' },
      });
      expect(await (await fetch(`${server.baseUrl}/metrics`)).text()).toContain('tiketi_realtime_transport{transport="shim"} 1');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe('start-up failures name the port and its variable', () => {
  it.each(['PORT', 'REALTIME_PORT'] as const)('%s taken: one line, exit 1', async (variable) => {
    const held = await holdPort();
    try {
      const { code, lines } = await failedStart({
        DATABASE_URL: await createEmptyDatabase(),
        REDIS_URL: undefined,
        [variable]: String(held.port),
      });
      expect(code).toBe('1');
      expect(lines).toEqual([
        `TIKETI cannot start: port ${held.port} (${variable}) is already in use: free it or set ${variable} to another port`,
      ]);
    } finally {
      await held.release();
    }
  });

  it('EMBEDDED_PG_PORT taken: one line, exit 1 (and unset, a free port is used)', async () => {
    const held = await holdPort();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tiketi-pgport-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    try {
      const env = {
        DATABASE_URL: undefined,
        REDIS_URL: undefined,
        TIKETI_DATA_DIR: dataDir,
        TIKETI_SEED: 'none',
        EMBEDDED_PG_PORT: String(held.port),
      };
      const { code, lines } = await failedStart(env);
      expect(code).toBe('1');
      const plain = lines.filter((l) => !l.startsWith('{')); // pino's JSON lines before it are info
      expect(plain).toEqual([expect.stringContaining(`TIKETI cannot start: port ${held.port} (EMBEDDED_PG_PORT) is already in use`)]);
    } finally {
      await held.release();
    }
  });
});

// As root, PostgreSQL runs as the `postgres` user, which cannot enter a 0700 directory: neither a
// checkout under it (the binaries) nor a `mktemp -d` TIKETI_DATA_DIR. Only root can show it starts.
describe.skipIf(!isRoot)('as root (skipped unless root: only root runs PostgreSQL as another user)', () => {
  it('starts from a checkout inside a 0700 directory with TIKETI_DATA_DIR=$(mktemp -d)', async () => {
    const locked = mkdtempSync(path.join(tmpdir(), 'tiketi-locked-'));
    chmodSync(locked, 0o700);
    const checkout = path.join(locked, 'checkout');
    mkdirSync(checkout);
    // Hard links: a full copy of node_modules in seconds, on the same file system as this one.
    const entries = readdirSync(ROOT).filter((e) => !['.git', '.tiketi'].includes(e));
    execFileSync('cp', ['-al', ...entries.map((e) => path.join(ROOT, e)), checkout]);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tmp.')); // mode 0700, like mktemp -d
    cleanups.push(() => {
      const location = path.join(dataDir, 'pg.location');
      if (existsSync(location)) rmSync(readFileSync(location, 'utf8').trim(), { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(locked, { recursive: true, force: true });
    });
    const server = await startServerProcess(
      {
        DATABASE_URL: undefined,
        REDIS_URL: undefined,
        TIKETI_DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: undefined,
        TIKETI_SEED: 'none',
        TIKETI_ADMIN_EMAIL: undefined,
        TIKETI_ADMIN_PASSWORD: undefined,
      },
      240_000,
      checkout,
    );
    try {
      expect((await fetch(`${server.baseUrl}/ready`)).status).toBe(200);
      expect(server.lines.join('\n')).toContain('postgres user cannot enter');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  }, 300_000);
});
