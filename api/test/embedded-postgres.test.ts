// Embedded PostgreSQL (`npm start` without DATABASE_URL): credentials per data directory, a
// non-superuser application role, ports, and root with directories the postgres user cannot enter.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../src/infra/embedded-postgres.js';
import { migrateUp } from '../src/infra/migrate.js';

const isRoot = process.getuid?.() === 0;
const cleanups: Array<() => void> = [];
afterAll(() => {
  for (const cleanup of cleanups.reverse()) cleanup();
});

/** A temporary TIKETI_DATA_DIR, removed after the file with wherever root relocated its data. */
function tempDataDir(parent = tmpdir()): string {
  const dir = mkdtempSync(path.join(parent, 'tiketi-embedded-'));
  cleanups.push(() => {
    const location = path.join(dir, 'pg.location');
    if (existsSync(location)) rmSync(readFileSync(location, 'utf8').trim(), { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Holds a TCP port on 127.0.0.1 until released. */
async function holdPort(): Promise<{ port: number; release: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, release: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('embedded PostgreSQL', () => {
  it('makes random credentials per data directory (mode 0600), runs the migrations as a non-superuser that cannot run programs, and keeps them across restarts', async () => {
    const dataDir = tempDataDir();
    // The port a fixed default would have used is taken: a free one is picked instead.
    const held = await holdPort();
    let db = await startEmbeddedPostgres({ dataDir, fast: true });
    try {
      expect(db.port).not.toBe(held.port);
      const credsFile = path.join(existsSync(path.join(dataDir, 'pg.location')) ? path.dirname(db.pgdata) : dataDir, 'pg-credentials.json');
      expect(statSync(credsFile).mode & 0o777).toBe(0o600);
      const creds = JSON.parse(readFileSync(credsFile, 'utf8')) as Record<string, string>;
      expect(creds.superuserPassword).not.toBe('tiketi');
      expect(creds.superuserPassword!.length).toBeGreaterThanOrEqual(24);
      expect(creds.appPassword).not.toBe(creds.superuserPassword);

      // The API's role: not a superuser, owns its database, and the migrations (pg_trgm, pgcrypto,
      // citext are trusted extensions) run under it.
      const applied = await migrateUp(db.url);
      expect(applied.length).toBeGreaterThan(0);
      const [me] = await query<{ user: string; rolsuper: boolean; owner: string }>(
        db.url,
        `SELECT current_user AS user, r.rolsuper, pg_get_userbyid(d.datdba) AS owner
           FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = current_database()`,
      );
      expect(me).toEqual({ user: 'tiketi_app', rolsuper: false, owner: 'tiketi_app' });
      const extensions = (await query<{ extname: string }>(db.url, 'SELECT extname FROM pg_extension')).map((r) => r.extname);
      expect(extensions).toEqual(expect.arrayContaining(['pg_trgm', 'pgcrypto', 'citext']));
      // COPY … TO PROGRAM runs shell commands as the postgres user: refused to the API's role.
      await expect(query(db.url, "COPY (SELECT 1) TO PROGRAM 'true'")).rejects.toMatchObject({ code: '42501' });
      // The old fixed password opens nothing.
      const superuser = new URL(db.superuserUrl);
      for (const user of [superuser.username, 'tiketi']) {
        const guess = `postgres://${user}:tiketi@127.0.0.1:${db.port}/postgres`;
        await expect(query(guess, 'SELECT 1')).rejects.toMatchObject({ code: '28P01' });
      }

      await db.stop();
      db = await startEmbeddedPostgres({ dataDir, fast: true });
      expect(JSON.parse(readFileSync(credsFile, 'utf8'))).toEqual(creds);
      expect(await migrateUp(db.url)).toEqual([]);
      expect(await query(db.url, 'SELECT count(*)::int AS n FROM auth.users')).toEqual([{ n: 0 }]);
    } finally {
      await db.stop();
      await held.release();
    }
  });

  it('stops at once with one line naming EMBEDDED_PG_PORT when that port is taken', async () => {
    const held = await holdPort();
    try {
      const started = startEmbeddedPostgres({ dataDir: tempDataDir(), port: held.port });
      await expect(started).rejects.toThrow(`port ${held.port} (EMBEDDED_PG_PORT) is already in use`);
      const message = await started.catch((err: Error) => err.message);
      expect(message).not.toContain('\n');
    } finally {
      await held.release();
    }
  });

  // PostgreSQL refuses to run as root; as root it runs as the `postgres` user, which cannot enter a
  // 0700 directory. Only root can show that this still starts.
  it.skipIf(!isRoot)(
    'as root, keeps the data where the postgres user can reach it when TIKETI_DATA_DIR sits in a 0700 directory (skipped unless root)',
    async () => {
      const locked = mkdtempSync(path.join(tmpdir(), 'tiketi-locked-'));
      chmodSync(locked, 0o700);
      cleanups.push(() => rmSync(locked, { recursive: true, force: true }));
      const dataDir = tempDataDir(locked);
      chmodSync(dataDir, 0o700);
      const db = await startEmbeddedPostgres({ dataDir, fast: true });
      try {
        const relocatedTo = readFileSync(path.join(dataDir, 'pg.location'), 'utf8').trim();
        expect(db.pgdata).toBe(path.join(relocatedTo, 'pg'));
        expect(statSync(path.join(relocatedTo, 'pg-credentials.json')).mode & 0o777).toBe(0o600);
        const postgresUid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
        expect(statSync(db.pgdata).uid).toBe(postgresUid);
        expect(await query(db.url, 'SELECT current_user AS user')).toEqual([{ user: 'tiketi_app' }]);
      } finally {
        await db.stop();
      }
      // The same TIKETI_DATA_DIR finds the same data again.
      mkdirSync(dataDir, { recursive: true });
      const again = await startEmbeddedPostgres({ dataDir, fast: true });
      await again.stop();
      expect(again.pgdata).toBe(db.pgdata);
    },
  );
});
