import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmptyDatabase } from '../../test/harness/app.js';
import { migrateUp } from '../src/infra/migrate.js';

let client: pg.Client;
let databaseUrl: string;
beforeAll(async () => {
  databaseUrl = await createEmptyDatabase();
  await migrateUp(databaseUrl);
  client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
});
afterAll(async () => client?.end());

describe('migrations', () => {
  it('create one schema per domain', async () => {
    const { rows } = await client.query(
      `SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ('auth','ticket','payment','stats') ORDER BY 1`,
    );
    expect(rows.map((r) => r.schema_name)).toEqual(['auth', 'payment', 'stats', 'ticket']);
  });

  it('keep updated_at current on every table that has it', async () => {
    const { rows } = await client.query(`
      SELECT c.table_schema || '.' || c.table_name AS name,
             EXISTS (SELECT 1 FROM information_schema.triggers t
                     WHERE t.event_object_schema = c.table_schema AND t.event_object_table = c.table_name
                       AND t.action_statement LIKE '%tiketi_touch_updated_at%') AS touched
      FROM information_schema.columns c
      WHERE c.column_name = 'updated_at' AND c.table_schema IN ('auth','ticket','payment','stats')`);
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.filter((r) => !r.touched).map((r) => r.name)).toEqual([]);
  });

  it('are idempotent: running them again applies nothing', async () => {
    expect(await migrateUp(databaseUrl)).toEqual([]);
  });
});
