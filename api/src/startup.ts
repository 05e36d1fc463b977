import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db } from './infra/db.js';
import { createAuthService } from './modules/auth/service.js';
import { seedSampleCatalog } from './modules/catalog/seed.js';

/** What `npm start` does to the database after migrations: the admin account and the sample catalog. */
export async function prepareDatabase(config: Config, db: Db, log: Logger): Promise<void> {
  if (config.TIKETI_ADMIN_EMAIL && config.TIKETI_ADMIN_PASSWORD) {
    await createAuthService(config, db).ensureAdmin(config.TIKETI_ADMIN_EMAIL, config.TIKETI_ADMIN_PASSWORD);
    log.info({ email: config.TIKETI_ADMIN_EMAIL }, 'admin account ensured');
  }
  if (config.TIKETI_SEED !== 'none') {
    const seeded = await seedSampleCatalog(db);
    if (seeded.loaded) log.info({ events: seeded.events, seats: seeded.seats }, 'sample catalog loaded (TIKETI_SEED=none skips it)');
  }
}
