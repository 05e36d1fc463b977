import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db } from './infra/db.js';
import type { AuthService } from './modules/auth/service.js';
import { seedSampleCatalog } from './modules/catalog/seed.js';

/** Admin account of the embedded default only (documented in the README). */
export const DEV_ADMIN = { email: 'admin@tiketi.local', password: 'tiketi-admin' } as const;

/** What `npm start` does to the database after migrations: the admin account and the sample catalog. */
export async function prepareDatabase(config: Config, db: Db, authService: AuthService, log: Logger): Promise<void> {
  if (config.TIKETI_ADMIN_EMAIL && config.TIKETI_ADMIN_PASSWORD) {
    await authService.ensureAdmin(config.TIKETI_ADMIN_EMAIL, config.TIKETI_ADMIN_PASSWORD);
    log.info({ email: config.TIKETI_ADMIN_EMAIL }, 'admin account ensured');
  } else if (!config.DATABASE_URL) {
    // The embedded default is for trying TIKETI on one machine: give it a known admin so the docs'
    // first steps work. Never with a real database, where TIKETI_ADMIN_* must be set on purpose.
    await authService.ensureAdmin(DEV_ADMIN.email, DEV_ADMIN.password);
    log.warn(
      { email: DEV_ADMIN.email },
      'embedded default: development admin account ensured (password in README; set TIKETI_ADMIN_EMAIL/PASSWORD to choose your own)',
    );
  }
  if (config.TIKETI_SEED !== 'none') {
    const seeded = await seedSampleCatalog(db);
    if (seeded.loaded) log.info({ events: seeded.events, seats: seeded.seats }, 'sample catalog loaded (TIKETI_SEED=none skips it)');
  }
}
