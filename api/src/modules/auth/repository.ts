// All SQL of the auth module.
import type { Queryable } from '../../infra/db.js';
import { keyset } from '../../pagination.js';

export interface UserRow {
  id: string;
  email: string;
  password_hash: string | null;
  google_sub: string | null;
  name: string;
  phone: string | null;
  role: 'user' | 'admin';
  token_version: number;
  created_at: Date;
  updated_at: Date;
}

/** What the live check needs of a user on every request (cached briefly per instance). */
export interface UserAuthority {
  email: string;
  role: 'user' | 'admin';
  token_version: number;
}

export type Scope = 'read-only' | 'catalog' | 'operations';

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  created_by: string;
  scopes: Scope[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const USER_COLUMNS = 'id, email, password_hash, google_sub, name, phone, role, token_version, created_at, updated_at';
const KEY_COLUMNS = 'id, name, prefix, created_by, scopes, created_at, last_used_at, revoked_at';
/** LIKE pattern that matches `text` literally anywhere. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
export const API_KEY_PAGES = keyset('DESC', ['created_at', 'timestamptz'], ['id', 'uuid']);
export const USER_PAGES = keyset('DESC', ['created_at', 'timestamptz'], ['id', 'uuid']);

export const authRepository = {
  async insertUser(
    db: Queryable,
    user: {
      email: string;
      passwordHash: string | null;
      name: string;
      phone?: string | null;
      role?: 'user' | 'admin';
      googleSub?: string | null;
    },
  ): Promise<UserRow | undefined> {
    const { rows } = await db.query<UserRow>(
      `INSERT INTO auth.users (email, password_hash, name, phone, role, google_sub)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (email) DO NOTHING
       RETURNING ${USER_COLUMNS}`,
      [user.email, user.passwordHash, user.name, user.phone ?? null, user.role ?? 'user', user.googleSub ?? null],
    );
    return rows[0];
  },

  async findUserByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
    const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM auth.users WHERE email = $1`, [email]);
    return rows[0];
  },

  async findUserById(db: Queryable, id: string): Promise<UserRow | undefined> {
    const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM auth.users WHERE id = $1`, [id]);
    return rows[0];
  },

  async findUserByGoogleSub(db: Queryable, sub: string): Promise<UserRow | undefined> {
    const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM auth.users WHERE google_sub = $1`, [sub]);
    return rows[0];
  },

  async linkGoogle(db: Queryable, userId: string, sub: string): Promise<UserRow> {
    const { rows } = await db.query<UserRow>(`UPDATE auth.users SET google_sub = $2 WHERE id = $1 RETURNING ${USER_COLUMNS}`, [
      userId,
      sub,
    ]);
    return rows[0]!;
  },

  async setAdminPassword(db: Queryable, userId: string, passwordHash: string): Promise<void> {
    await db.query(`UPDATE auth.users SET role = 'admin', password_hash = $2 WHERE id = $1`, [userId, passwordHash]);
  },

  async insertApiKey(
    db: Queryable,
    key: { name: string; prefix: string; secretHash: Buffer; createdBy: string; scopes: Scope[] },
  ): Promise<ApiKeyRow> {
    const { rows } = await db.query<ApiKeyRow>(
      `INSERT INTO auth.api_keys (name, prefix, secret_hash, created_by, scopes) VALUES ($1, $2, $3, $4, $5) RETURNING ${KEY_COLUMNS}`,
      [key.name, key.prefix, key.secretHash, key.createdBy, key.scopes],
    );
    return rows[0]!;
  },

  async listApiKeys(db: Queryable, limit: number, after: string[] | null): Promise<Array<ApiKeyRow & { page_key: string[] }>> {
    const { rows } = await db.query<ApiKeyRow & { page_key: string[] }>(
      `SELECT ${KEY_COLUMNS}, ${API_KEY_PAGES.select} FROM auth.api_keys
       WHERE ${API_KEY_PAGES.after(2)}
       ORDER BY ${API_KEY_PAGES.orderBy} LIMIT $1`,
      [limit, after],
    );
    return rows;
  },

  async revokeApiKey(db: Queryable, id: string): Promise<ApiKeyRow | undefined> {
    const { rows } = await db.query<ApiKeyRow>(
      `UPDATE auth.api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${KEY_COLUMNS}`,
      [id],
    );
    return rows[0];
  },

  /**
   * The key and its creator, if the key is not revoked; read live on every use (no cache), so a
   * revocation or a demotion counts at once on every instance. `last_used_at` is written at most
   * once a minute per key, not on every request.
   */
  async findActiveApiKey(
    db: Queryable,
    secretHash: Buffer,
  ): Promise<{ key_id: string; scopes: Scope[]; user_id: string; email: string; role: 'user' | 'admin' } | undefined> {
    const { rows } = await db.query(
      `WITH k AS (
         SELECT k.id AS key_id, k.scopes, u.id AS user_id, u.email, u.role
           FROM auth.api_keys k JOIN auth.users u ON u.id = k.created_by
          WHERE k.secret_hash = $1 AND k.revoked_at IS NULL
       ), touched AS (
         UPDATE auth.api_keys SET last_used_at = now()
          WHERE id = (SELECT key_id FROM k) AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
       )
       SELECT * FROM k`,
      [secretHash],
    );
    return rows[0];
  },

  async findAuthority(db: Queryable, userId: string): Promise<UserAuthority | undefined> {
    const { rows } = await db.query<UserAuthority>('SELECT email, role, token_version FROM auth.users WHERE id = $1', [userId]);
    return rows[0];
  },

  /** Signs the user out everywhere: every access token dies (version bump), every refresh token is revoked. */
  async revokeAllSessions(db: Queryable, userId: string): Promise<void> {
    await db.query(
      `WITH bump AS (UPDATE auth.users SET token_version = token_version + 1 WHERE id = $1)
       UPDATE auth.refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`,
      [userId],
    );
  },

  async insertRefreshToken(
    db: Queryable,
    token: { userId: string; familyId: string; tokenHash: Buffer; ttlSeconds: number },
  ): Promise<void> {
    await db.query(
      `INSERT INTO auth.refresh_tokens (user_id, family_id, token_hash, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [token.userId, token.familyId, token.tokenHash, token.ttlSeconds],
    );
  },

  /**
   * Forgets a user's dead refresh tokens (expired, or used or revoked a day ago), so the table stays
   * bounded per user. A used token stays known for a day: presenting it again revokes its family.
   */
  async pruneRefreshTokens(db: Queryable, userId: string): Promise<void> {
    await db.query(
      `DELETE FROM auth.refresh_tokens
        WHERE user_id = $1 AND (expires_at < now() OR used_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day')`,
      [userId],
    );
  },

  /** Uses a refresh token once: its user and family if it was live, nothing otherwise. */
  async useRefreshToken(db: Queryable, tokenHash: Buffer): Promise<{ user_id: string; family_id: string } | undefined> {
    const { rows } = await db.query<{ user_id: string; family_id: string }>(
      `UPDATE auth.refresh_tokens SET used_at = now()
        WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
        RETURNING user_id, family_id`,
      [tokenHash],
    );
    return rows[0];
  },

  /** Revokes every token of the family the given token belongs to; true if the token was known. */
  async revokeRefreshFamily(db: Queryable, tokenHash: Buffer): Promise<boolean> {
    const { rowCount } = await db.query(
      `UPDATE auth.refresh_tokens SET revoked_at = coalesce(revoked_at, now())
        WHERE family_id = (SELECT family_id FROM auth.refresh_tokens WHERE token_hash = $1)`,
      [tokenHash],
    );
    return (rowCount ?? 0) > 0;
  },

  async listUsers(
    db: Queryable,
    filter: { email?: string; role?: 'user' | 'admin' },
    limit: number,
    after: string[] | null,
  ): Promise<Array<UserRow & { page_key: string[] }>> {
    const { rows } = await db.query<UserRow & { page_key: string[] }>(
      `SELECT ${USER_COLUMNS}, ${USER_PAGES.select} FROM auth.users
        WHERE ($2::text IS NULL OR email::text ILIKE $2)
          AND ($3::text IS NULL OR role = $3)
          AND ${USER_PAGES.after(4)}
        ORDER BY ${USER_PAGES.orderBy} LIMIT $1`,
      [limit, filter.email === undefined ? null : containing(filter.email), filter.role ?? null, after],
    );
    return rows;
  },

  /** Admins' rows, locked: whoever changes a role holds these until commit, so two demotions serialize. */
  async lockAdmins(db: Queryable): Promise<string[]> {
    const { rows } = await db.query<{ id: string }>(`SELECT id FROM auth.users WHERE role = 'admin' ORDER BY id FOR UPDATE`);
    return rows.map((r) => r.id);
  },

  /** Sets the role; a change bumps the token version so tokens that carry the old role die. */
  async setRole(db: Queryable, userId: string, role: 'user' | 'admin'): Promise<{ user: UserRow; changed: boolean } | undefined> {
    const { rows } = await db.query<UserRow & { changed: boolean }>(
      `WITH before AS (SELECT role FROM auth.users WHERE id = $1 FOR UPDATE)
       UPDATE auth.users u
          SET role = $2, token_version = token_version + CASE WHEN before.role = $2 THEN 0 ELSE 1 END
         FROM before WHERE u.id = $1
       RETURNING ${USER_COLUMNS.split(', ')
         .map((c) => `u.${c}`)
         .join(', ')}, before.role <> $2 AS changed`,
      [userId, role],
    );
    const row = rows[0];
    if (!row) return undefined;
    const { changed, ...user } = row;
    return { user, changed };
  },

  /** Revokes the keys a user created (when they stop being an admin). */
  async revokeKeysCreatedBy(db: Queryable, userId: string): Promise<number> {
    const { rowCount } = await db.query(`UPDATE auth.api_keys SET revoked_at = now() WHERE created_by = $1 AND revoked_at IS NULL`, [
      userId,
    ]);
    return rowCount ?? 0;
  },
};
