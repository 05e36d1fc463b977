// Buyers straight into the database with signed tokens, when the runner can reach the database
// (its own stack, or LOADTEST_DATABASE_URL + LOADTEST_JWT_SECRET): registering 50,000 users through
// the API would hash 50,000 passwords first (argon2, tens of ms of CPU each).
import { loadConfig } from '../../api/src/config.js';
import { createPool } from '../../api/src/infra/db.js';
import { createUsers } from '../../test/harness/fixtures.js';
import type { Provisioner } from '../scenarios/adapter.ts';

export function sqlProvisioner(databaseUrl: string, jwtSecret: string): Provisioner {
  return {
    async users(_ctx, count) {
      const config = loadConfig({}, { DATABASE_URL: databaseUrl, JWT_SECRET: jwtSecret });
      const db = createPool(databaseUrl, 2);
      try {
        const out = [];
        for (let i = 0; i < count; i += 10_000) out.push(...(await createUsers({ db, config }, Math.min(10_000, count - i))));
        return out;
      } finally {
        await db.end();
      }
    },
  };
}
