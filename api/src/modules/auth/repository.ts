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
  created_at: Date;
  updated_at: Date;
}

export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  created_by: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const USER_COLUMNS = 'id, email, password_hash, google_sub, name, phone, role, created_at, updated_at';
const KEY_COLUMNS = 'id, name, prefix, created_by, created_at, last_used_at, revoked_at';
export const API_KEY_PAGES = keyset('DESC', ['created_at', 'timestamptz'], ['id', 'uuid']);

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

  async insertApiKey(db: Queryable, key: { name: string; prefix: string; secretHash: Buffer; createdBy: string }): Promise<ApiKeyRow> {
    const { rows } = await db.query<ApiKeyRow>(
      `INSERT INTO auth.api_keys (name, prefix, secret_hash, created_by) VALUES ($1, $2, $3, $4) RETURNING ${KEY_COLUMNS}`,
      [key.name, key.prefix, key.secretHash, key.createdBy],
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

  /** The key's owner, if the key exists, is not revoked and its creator is still an admin. */
  async findActiveApiKey(
    db: Queryable,
    secretHash: Buffer,
  ): Promise<{ key_id: string; user_id: string; email: string; role: 'user' | 'admin' } | undefined> {
    const { rows } = await db.query(
      `UPDATE auth.api_keys k SET last_used_at = now()
       FROM auth.users u
       WHERE k.secret_hash = $1 AND k.revoked_at IS NULL AND u.id = k.created_by
       RETURNING k.id AS key_id, u.id AS user_id, u.email, u.role`,
      [secretHash],
    );
    return rows[0];
  },
};
