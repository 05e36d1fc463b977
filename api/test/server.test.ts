import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createEmptyDatabase } from '../../test/harness/app.js';
import { freePort } from '../../test/harness/ports.js';
import { startServerProcess } from '../../test/harness/server-process.js';
import { currentRuntime, expectedBuild } from '../src/realtime/uws.js';
import { DEV_ADMIN } from '../src/startup.js';

const ADMIN = { TIKETI_ADMIN_EMAIL: 'ops@tiketi.dev', TIKETI_ADMIN_PASSWORD: 'ops-password-1' };

async function loginAdmin(baseUrl: string, email: string = ADMIN.TIKETI_ADMIN_EMAIL, password: string = ADMIN.TIKETI_ADMIN_PASSWORD) {
  const res = await fetch(`${baseUrl}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return { status: res.status, body: (await res.json()) as { user: { role: string } } };
}

describe('npm start (api/src/server.ts)', () => {
  it('runs on embedded PostgreSQL with no DATABASE_URL and in-process state with no REDIS_URL, then shuts down cleanly', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tiketi-start-'));
    chmodSync(dataDir, 0o755);
    const server = await startServerProcess(
      {
        DATABASE_URL: undefined,
        REDIS_URL: undefined,
        TIKETI_DATA_DIR: dataDir,
        EMBEDDED_PG_PORT: String(await freePort()),
        TIKETI_SEED: 'none',
        TIKETI_ADMIN_EMAIL: undefined,
        TIKETI_ADMIN_PASSWORD: undefined,
      },
      120_000,
    );
    try {
      const log = server.lines.join('\n');
      expect(log).toContain('starting embedded PostgreSQL');
      expect(log).toContain('single-instance mode');
      // The uWebSockets.js build this Node and C library should run, named in the log.
      const expected = expectedBuild(currentRuntime()).build;
      expect(log).toContain(expected === 'shim' ? 'the ws shim' : `(native build, ${expected})`);
      expect(log).not.toContain('NOT on the expected uWebSockets.js build');
      const ready = await fetch(`${server.baseUrl}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ checks: { postgres: { status: 'ok' }, redis: { kind: 'memory' } } });
      // The embedded default comes with the README's development admin.
      const login = await loginAdmin(server.baseUrl, DEV_ADMIN.email, DEV_ADMIN.password);
      expect(login.status).toBe(200);
      expect(login.body.user.role).toBe('admin');
      // Secrets never reach the log.
      expect(server.lines.join('\n')).not.toContain(DEV_ADMIN.password);
    } finally {
      expect(await server.stop()).toBe(0);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('lets two instances start together on an empty database: migrations apply once, both serve', async () => {
    const databaseUrl = await createEmptyDatabase();
    const env = { DATABASE_URL: databaseUrl, REDIS_URL: undefined, TIKETI_SEED: 'none', ...ADMIN };
    const [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    try {
      for (const s of [a, b]) expect((await fetch(`${s.baseUrl}/health`)).status).toBe(200);
      expect((await loginAdmin(b.baseUrl)).body.user.role).toBe('admin');
      // With a real database there is no default admin.
      expect((await loginAdmin(a.baseUrl, DEV_ADMIN.email, DEV_ADMIN.password)).status).toBe(401);
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      const { rows } = await client.query('SELECT name, count(*)::int AS n FROM public.pgmigrations GROUP BY name');
      await client.end();
      expect(rows.length).toBeGreaterThanOrEqual(2);
      for (const row of rows) expect(row.n).toBe(1);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('refuses to start with an invalid setting and names it', async () => {
    await expect(startServerProcess({ PORT: 'not-a-port' }, 20_000)).rejects.toThrow(/PORT/);
  });
});
