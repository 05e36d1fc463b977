// `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to embedded PostgreSQL.
import { loadConfig } from '../config.js';
import { startEmbeddedPostgres } from '../infra/embedded-postgres.js';
import { migrateUp } from '../infra/migrate.js';

const config = loadConfig();
const embedded = config.DATABASE_URL
  ? undefined
  : await startEmbeddedPostgres({ dataDir: config.TIKETI_DATA_DIR, port: config.EMBEDDED_PG_PORT });
try {
  const applied = await migrateUp(config.DATABASE_URL ?? embedded!.url, (m) => console.log(m));
  console.log(applied.length ? `applied ${applied.length} migration(s)` : 'database is up to date');
} finally {
  await embedded?.stop();
}
