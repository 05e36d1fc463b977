import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
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
  } else if (!config.DATABASE_URL && config.NODE_ENV !== 'production') {
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

/**
 * The JWT secret outside production when JWT_SECRET is unset: random, made once and kept in
 * `<TIKETI_DATA_DIR>/jwt-secret` (mode 0600), so tokens survive restarts and several processes on
 * one data directory agree. Never a constant from the source: anyone could sign an admin token with
 * it. If the directory is not writable, the secret lives for this process only.
 */
export async function developmentJwtSecret(dataDir: string, log: Pick<Logger, 'info' | 'warn'>): Promise<string> {
  const file = path.join(dataDir, 'jwt-secret');
  const read = async () => (await readFile(file, 'utf8')).trim();
  try {
    const existing = await read();
    if (existing.length >= 32) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = randomBytes(48).toString('base64url');
  try {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    // Written aside and linked into place: link fails if another process got there first, and a
    // reader never sees a half-written file.
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${secret}\n`, { mode: 0o600 });
    try {
      await link(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await unlink(tmp).catch(() => {});
    }
    const kept = await read();
    if (kept.length < 32) throw new Error(`${file} holds fewer than 32 characters; delete it to make a new one`);
    log.info({ file }, 'JWT_SECRET unset: signing tokens with the random development secret kept in this file');
    return kept;
  } catch (err) {
    log.warn({ err: (err as Error).message, file }, 'JWT_SECRET unset and the data directory is not writable: tokens last until restart');
    return secret;
  }
}
