// Starts the real servers the tests use: embedded PostgreSQL and redis-server on free ports, unless
// DATABASE_URL / REDIS_URL point at running ones. Migrations are applied once to a template database
// that every test file clones, so files run in parallel without seeing each other's rows.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../api/src/infra/embedded-postgres.js';
import { migrateUp } from '../../api/src/infra/migrate.js';
import { freePort, waitFor } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection string of the template database (migrated); tests clone it. */
    templateDatabaseUrl: string;
    redisUrl: string;
  }
}

const TEMPLATE = 'tiketi_template';

function findRedisServer(): string {
  const which = (bin: string) => {
    try {
      return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  let bin = which('redis-server');
  if (bin) return bin;
  if (process.getuid?.() === 0) {
    console.log('redis-server missing: installing it with apt-get');
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server'], {
      stdio: 'inherit',
    });
    bin = which('redis-server');
    if (bin) return bin;
  }
  throw new Error('The tests need redis-server. Install it with: sudo apt-get install -y redis-server (or set REDIS_URL)');
}

export default async function setup(project: TestProject) {
  const cleanups: Array<() => Promise<void> | void> = [];

  // PostgreSQL
  let adminUrl = process.env.DATABASE_URL;
  let embedded: EmbeddedDatabase | undefined;
  if (!adminUrl) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tiketi-test-pg-'));
    chmodSync(dataDir, 0o755); // as root, lets the `postgres` user keep the data here (no relocation)
    embedded = await startEmbeddedPostgres({ dataDir, fast: true });
    // The harness keeps superuser access: it creates the template database and clones it per file.
    adminUrl = embedded.superuserUrl;
    cleanups.push(async () => {
      await embedded!.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE}`);
  await admin.end();
  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${TEMPLATE}`;
  await migrateUp(templateUrl.toString());

  // Redis
  let redisUrl = process.env.REDIS_URL;
  if (!redisUrl) {
    const bin = findRedisServer();
    const port = await freePort();
    const child: ChildProcess = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    cleanups.push(() => {
      child.kill('SIGTERM');
    });
    await waitFor(port);
    redisUrl = `redis://127.0.0.1:${port}`;
  }

  project.provide('templateDatabaseUrl', templateUrl.toString());
  project.provide('redisUrl', redisUrl);

  return async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
}
