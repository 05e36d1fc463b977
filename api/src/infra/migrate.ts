import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../db/migrations', import.meta.url));

// node-pg-migrate's own lock gives up when taken; we wait on ours instead, so instances that
// start together apply migrations one after the other and the later ones find nothing to do.
const MIGRATION_WAIT_LOCK = 7_302_911_044;

/** Applies every pending migration in db/migrations; safe to call from several processes at once. */
export async function migrateUp(databaseUrl: string, log: (msg: string) => void = () => {}): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_WAIT_LOCK]);
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      migrationsTable: 'pgmigrations',
      migrationsSchema: 'public',
      direction: 'up',
      count: Infinity,
      noLock: true,
      checkOrder: true,
      ignorePattern: '(\\..*)|(.*\\.md)',
      log: () => {},
      logger: { debug: () => {}, info: () => {}, warn: log, error: log },
    });
    for (const m of applied) log(`migration applied: ${path.basename(m.path)}`);
    return applied.map((m) => m.name);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_WAIT_LOCK]).catch(() => {});
    await client.end();
  }
}
