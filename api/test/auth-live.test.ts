// Live authority (issue 16) and token rules (issue 8): roles and accounts checked against the
// database, revocable tokens with a refresh path, scoped API keys, the admin users API.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createAuthService } from '../src/modules/auth/service.js';
import { bearer, createAdmin, createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ state: 'memory' });
});
afterAll(async () => t?.close());

type Inject = { method?: 'GET' | 'POST' | 'PATCH' | 'DELETE'; url: string; token?: string; payload?: object };
const call = (app: TestApp, { method = 'GET', url, token, payload }: Inject) =>
  app.app.inject({ method, url, payload, headers: token ? bearer(token) : {} });

const now = () => Math.floor(Date.now() / 1000);

/** A token as the API signs them, with claims to tamper with. */
function signToken(secret: string, claims: Record<string, unknown>, opts: { sub?: string; iat?: number; exp?: number | null } = {}) {
  const jwt = new SignJWT({ tv: 0, ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('tiketi')
    .setAudience('tiketi-api')
    .setSubject(opts.sub ?? randomUUID())
    .setIssuedAt(opts.iat ?? now());
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? now() + 600);
  return jwt.sign(new TextEncoder().encode(secret));
}

describe('the old public secret and malformed tokens', () => {
  it('answers 401 to a token signed with the old built-in secret, with and without JWT_SECRET set', async () => {
    const noSecret = await createTestApp({ state: 'memory', config: { JWT_SECRET: undefined } });
    try {
      for (const app of [t, noSecret]) {
        const admin = await createAdmin(app);
        expect((await call(app, { url: '/v1/api-keys', token: admin.token })).statusCode).toBe(200);
        const forged = await signToken('tiketi-development-secret-change-me', { email: admin.email, role: 'admin' }, { sub: admin.userId });
        const res = await call(app, { url: '/v1/api-keys', token: forged });
        expect([res.statusCode, res.json().code]).toEqual([401, 'INVALID_TOKEN']);
      }
    } finally {
      await noSecret.close();
    }
    // And the service refuses to sign with a public value at all.
    const config = loadConfig({}, { JWT_SECRET: 'CHANGE_ME_TO_32_OR_MORE_RANDOM_CHARACTERS' });
    expect(() => createAuthService(config, t.db)).toThrow(/JWT_SECRET/);
  });

  it('answers 401 (never 500) to a token without exp, issued in the future, with a non-UUID subject, without a version, issuer or audience', async () => {
    const u = await registerUser(t.app);
    const secret = t.config.JWT_SECRET!;
    const cases = {
      'no exp': await signToken(secret, { email: u.email, role: 'user' }, { sub: u.userId, exp: null }),
      'iat in the future': await signToken(
        secret,
        { email: u.email, role: 'user' },
        { sub: u.userId, iat: now() + 3600, exp: now() + 7200 },
      ),
      'non-UUID sub': await signToken(secret, { email: u.email, role: 'user' }, { sub: 'not-a-uuid' }),
      'urn sub': await signToken(secret, { email: u.email, role: 'user' }, { sub: `urn:uuid:${u.userId}` }),
      'no tv': await new SignJWT({ email: u.email, role: 'user' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('tiketi')
        .setAudience('tiketi-api')
        .setSubject(u.userId)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(secret)),
      // Signed with the same secret by something else (another service sharing it): no issuer or audience.
      'no iss or aud': await new SignJWT({ tv: 0 })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(u.userId)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(secret)),
    };
    for (const [name, token] of Object.entries(cases)) {
      const res = await call(t, { url: '/v1/auth/me', token });
      expect([name, res.statusCode, res.json().code]).toEqual([name, 401, 'INVALID_TOKEN']);
    }
    // A well-formed token for the same user passes, so the cases above fail for their flaw.
    const good = await signToken(secret, { email: u.email, role: 'user' }, { sub: u.userId });
    expect((await call(t, { url: '/v1/auth/me', token: good })).statusCode).toBe(200);
  });

  it('answers 401 to the token of an account that no longer exists', async () => {
    const u = await registerUser(t.app);
    expect((await call(t, { url: '/v1/auth/me', token: u.token })).statusCode).toBe(200);
    await t.db.query('DELETE FROM auth.users WHERE id = $1', [u.userId]);
    // This instance may have the account cached for up to AUTH_CACHE_TTL_MS; one reading live sees the deletion at once.
    const fresh = await createTestApp({ state: 'memory', databaseUrl: t.databaseUrl, config: { AUTH_CACHE_TTL_MS: 0 } });
    try {
      const res = await call(fresh, { url: '/v1/auth/me', token: u.token });
      expect([res.statusCode, res.json().code]).toEqual([401, 'INVALID_TOKEN']);
    } finally {
      await fresh.close();
    }
  });
});

describe('sessions: short access tokens, refresh, sign-out', () => {
  it('returns a refresh token with every sign-in, never cacheable', async () => {
    const email = `s-${randomUUID().slice(0, 8)}@example.com`;
    const reg = await call(t, { method: 'POST', url: '/v1/auth/register', payload: { email, password: 'long enough pw', name: 'S' } });
    const login = await call(t, { method: 'POST', url: '/v1/auth/login', payload: { email, password: 'long enough pw' } });
    for (const res of [reg, login]) {
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.json().refreshToken).toMatch(/^rt_[A-Za-z0-9_-]{40,}$/);
      // 15 minutes by default (JWT_EXPIRES_IN), as the token itself says.
      const exp = JSON.parse(Buffer.from(res.json().token.split('.')[1], 'base64url').toString()).exp;
      expect(exp - now()).toBeGreaterThan(14 * 60);
      expect(exp - now()).toBeLessThanOrEqual(15 * 60);
      expect(Date.parse(res.json().expiresAt) / 1000).toBe(exp);
    }
    const { rows } = await t.db.query('SELECT token_hash FROM auth.refresh_tokens WHERE user_id = $1', [reg.json().user.id]);
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r.token_hash.toString('utf8')).not.toContain(login.json().refreshToken);
  });

  it('rotates the refresh token on use; a used one presented again revokes the whole sign-in', async () => {
    const u = await registerUser(t.app);
    const login = (await call(t, { method: 'POST', url: '/v1/auth/login', payload: { email: u.email, password: u.password } })).json();
    const first = await call(t, { method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: login.refreshToken } });
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    const next = first.json();
    expect(next.refreshToken).not.toBe(login.refreshToken);
    expect((await call(t, { url: '/v1/auth/me', token: next.token })).json().id).toBe(u.userId);

    const replay = await call(t, { method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: login.refreshToken } });
    expect([replay.statusCode, replay.json().code]).toEqual([401, 'INVALID_REFRESH_TOKEN']);
    // The replay revoked the family: the token handed out after it is dead too.
    const after = await call(t, { method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: next.refreshToken } });
    expect(after.json().code).toBe('INVALID_REFRESH_TOKEN');
    const unknown = await call(t, { method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: 'rt_nothing' } });
    expect(unknown.json().code).toBe('INVALID_REFRESH_TOKEN');
  });

  it("a new sign-in forgets the user's expired refresh tokens, and an expired one is refused", async () => {
    const u = await registerUser(t.app);
    const login = (await call(t, { method: 'POST', url: '/v1/auth/login', payload: { email: u.email, password: u.password } })).json();
    await t.db.query(`UPDATE auth.refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [u.userId]);
    const expired = await call(t, { method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: login.refreshToken } });
    expect(expired.json().code).toBe('INVALID_REFRESH_TOKEN');
    await call(t, { method: 'POST', url: '/v1/auth/login', payload: { email: u.email, password: u.password } });
    const { rows } = await t.db.query('SELECT expires_at > now() AS live FROM auth.refresh_tokens WHERE user_id = $1', [u.userId]);
    expect(rows).toEqual([{ live: true }]);
  });

  it('logout revokes one sign-in; logout-all ends every access and refresh token of the user', async () => {
    const u = await registerUser(t.app);
    const signIn = async () =>
      (await call(t, { method: 'POST', url: '/v1/auth/login', payload: { email: u.email, password: u.password } })).json();
    const [a, b, c] = [await signIn(), await signIn(), await signIn()];

    expect((await call(t, { method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: a.refreshToken } })).statusCode).toBe(204);
    expect((await call(t, { method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: a.refreshToken } })).statusCode).toBe(401);
    expect((await call(t, { method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: b.refreshToken } })).statusCode).toBe(200);

    expect((await call(t, { method: 'POST', url: '/v1/auth/logout-all', token: c.token })).statusCode).toBe(204);
    for (const s of [a, b, c]) {
      const me = await call(t, { url: '/v1/auth/me', token: s.token });
      expect([me.statusCode, me.json().code]).toEqual([401, 'INVALID_TOKEN']);
      expect((await call(t, { method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: s.refreshToken } })).statusCode).toBe(401);
    }
    // /auth/verify (other services) and the realtime channel use the same live check.
    expect((await call(t, { method: 'POST', url: '/v1/auth/verify', payload: { token: c.token } })).json()).toMatchObject({ valid: false });
    // Signing in again works.
    const again = await signIn();
    expect((await call(t, { url: '/v1/auth/me', token: again.token })).statusCode).toBe(200);
  });
});

describe('the configured admin (TIKETI_ADMIN_EMAIL / TIKETI_ADMIN_PASSWORD) at start-up', () => {
  const login = async (email: string, password: string) =>
    (await call(t, { method: 'POST', url: '/v1/auth/login', payload: { email, password } })).json();

  it('a restart with the same password keeps sessions; a changed password ends every session of the account', async () => {
    const admin = await createAdmin(t);
    const session = await login(admin.email, admin.password);
    const auth = createAuthService(t.config, t.db);
    expect(await auth.ensureAdmin(admin.email, admin.password)).toMatchObject({ passwordChanged: false, promoted: false });
    expect((await call(t, { url: '/v1/api-keys', token: session.token })).statusCode).toBe(200);

    // The old password leaked; the operator sets a new one and restarts (a fresh instance, no cache).
    expect(await auth.ensureAdmin(admin.email, 'a-new-admin-password-2')).toMatchObject({ passwordChanged: true });
    const restarted = await createTestApp({ state: 'memory', databaseUrl: t.databaseUrl });
    try {
      const me = await call(restarted, { url: '/v1/auth/me', token: session.token });
      expect([me.statusCode, me.json().code]).toEqual([401, 'INVALID_TOKEN']);
    } finally {
      await restarted.close();
    }
    const refresh = await call(t, { method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: session.refreshToken } });
    expect(refresh.statusCode).toBe(401);
    expect(
      (await call(t, { method: 'POST', url: '/v1/auth/login', payload: { email: admin.email, password: admin.password } })).statusCode,
    ).toBe(401);
    expect((await login(admin.email, 'a-new-admin-password-2')).token).toEqual(expect.any(String));
  });
});

describe('roles are read from the database', () => {
  it('an admin demoted in the database gets 403 on admin routes (cache TTL 0 here; AUTH_CACHE_TTL_MS ≤ 60 s)', async () => {
    expect(loadConfig({}).AUTH_CACHE_TTL_MS).toBeLessThanOrEqual(60_000);
    const live = await createTestApp({ state: 'memory', databaseUrl: t.databaseUrl, config: { AUTH_CACHE_TTL_MS: 0 } });
    try {
      const admin = await createAdmin(live);
      expect((await call(live, { url: '/v1/users', token: admin.token })).statusCode).toBe(200);
      await live.db.query(`UPDATE auth.users SET role = 'user' WHERE id = $1`, [admin.userId]);
      const res = await call(live, { url: '/v1/users', token: admin.token });
      expect([res.statusCode, res.json().code]).toEqual([403, 'FORBIDDEN']);
      // Promoted in the database: the same token is an admin's again, whatever its `role` claim says.
      const user = await registerUser(live.app);
      await live.db.query(`UPDATE auth.users SET role = 'admin' WHERE id = $1`, [user.userId]);
      expect((await call(live, { url: '/v1/users', token: user.token })).statusCode).toBe(200);
    } finally {
      await live.close();
    }
  });

  it('a role change through the API takes effect at once on this instance, whatever the cache TTL', async () => {
    const admin = await createAdmin(t);
    const other = await createAdmin(t);
    expect((await call(t, { url: '/v1/users', token: other.token })).statusCode).toBe(200);
    const res = await call(t, { method: 'PATCH', url: `/v1/users/${other.userId}`, token: admin.token, payload: { role: 'user' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: other.userId, role: 'user' });
    // Their token is revoked (version bumped); signing in again gives a user's token.
    expect((await call(t, { url: '/v1/users', token: other.token })).json().code).toBe('INVALID_TOKEN');
    const relogin = (
      await call(t, { method: 'POST', url: '/v1/auth/login', payload: { email: other.email, password: other.password } })
    ).json();
    expect((await call(t, { url: '/v1/users', token: relogin.token })).statusCode).toBe(403);
  });
});

describe('API keys', () => {
  async function keyWith(admin: { token: string }, scopes?: string[]) {
    const res = await call(t, {
      method: 'POST',
      url: '/v1/api-keys',
      token: admin.token,
      payload: { name: 'k', ...(scopes ? { scopes } : {}) },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    return res.json() as { id: string; secret: string; scopes: string[] };
  }

  it('cannot manage keys or roles: that needs an interactive admin sign-in', async () => {
    const admin = await createAdmin(t);
    const key = await keyWith(admin, ['read-only', 'catalog', 'operations']);
    const target = await registerUser(t.app);
    const attempts: Inject[] = [
      { method: 'POST', url: '/v1/api-keys', payload: { name: 'minted' } },
      { url: '/v1/api-keys' },
      { method: 'DELETE', url: `/v1/api-keys/${key.id}` },
      { method: 'PATCH', url: `/v1/users/${target.userId}`, payload: { role: 'admin' } },
      { method: 'POST', url: '/v1/auth/logout-all' },
    ];
    for (const attempt of attempts) {
      const res = await call(t, { ...attempt, token: key.secret });
      expect([attempt.url, res.statusCode, res.json().code]).toEqual([attempt.url, 403, 'FORBIDDEN']);
    }
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM auth.api_keys WHERE name = 'minted'`);
    expect(rows[0].n).toBe(0);
    expect((await t.db.query('SELECT revoked_at FROM auth.api_keys WHERE id = $1', [key.id])).rows[0].revoked_at).toBeNull();
    expect((await t.db.query('SELECT role FROM auth.users WHERE id = $1', [target.userId])).rows[0].role).toBe('user');
  });

  it('carry scopes: read-only reads, catalog writes the catalog, operations the rest; read-only by default', async () => {
    const admin = await createAdmin(t);
    const plain = await keyWith(admin);
    expect(plain.scopes).toEqual(['read-only']);
    const catalog = await keyWith(admin, ['catalog']);
    const operations = await keyWith(admin, ['operations']);
    const news = { method: 'POST', url: '/v1/news', payload: { title: 'Notice', content: 'Body' } } as const;
    const expectations: Array<[string, Inject, number]> = [
      ['read-only', { url: '/v1/keyword-mappings' }, 200],
      ['read-only', { url: '/v1/reservations' }, 200],
      ['read-only', { url: '/v1/users' }, 200],
      ['read-only', news, 403],
      ['catalog', { url: '/v1/keyword-mappings' }, 200],
      ['catalog', news, 201],
      ['catalog', { url: '/v1/reservations' }, 403],
      ['operations', { url: '/v1/reservations' }, 200],
      ['operations', { url: '/v1/users' }, 200],
      ['operations', news, 403],
    ];
    const secrets: Record<string, string> = { 'read-only': plain.secret, catalog: catalog.secret, operations: operations.secret };
    for (const [scope, attempt, status] of expectations) {
      const res = await call(t, { ...attempt, token: secrets[scope] });
      expect([scope, attempt.method ?? 'GET', attempt.url, res.statusCode]).toEqual([scope, attempt.method ?? 'GET', attempt.url, status]);
    }
    // Any key may read who it acts for.
    expect((await call(t, { url: '/v1/auth/me', token: catalog.secret })).json()).toMatchObject({ id: admin.userId, role: 'admin' });
  });

  it('stop working when their creator stops being an admin, in the database or through the API', async () => {
    const admin = await createAdmin(t);
    const other = await createAdmin(t);
    const key = await keyWith(admin);
    const otherKey = await keyWith(other);
    expect((await call(t, { url: '/v1/users', token: key.secret })).statusCode).toBe(200);
    await t.db.query(`UPDATE auth.users SET role = 'user' WHERE id = $1`, [admin.userId]);
    const res = await call(t, { url: '/v1/users', token: key.secret });
    expect([res.statusCode, res.json().code]).toEqual([401, 'INVALID_API_KEY']);

    const patched = await call(t, {
      method: 'PATCH',
      url: `/v1/users/${other.userId}`,
      token: (await createAdmin(t)).token,
      payload: { role: 'user' },
    });
    expect(patched.statusCode).toBe(200);
    expect((await call(t, { url: '/v1/users', token: otherKey.secret })).json().code).toBe('INVALID_API_KEY');
    // The demotion through the API revoked the key for good: it stays dead if they are promoted again.
    expect((await t.db.query('SELECT revoked_at FROM auth.api_keys WHERE id = $1', [otherKey.id])).rows[0].revoked_at).not.toBeNull();
  });
});

describe('admin users API', () => {
  it('lists users with email and role filters and a cursor', async () => {
    const admin = await createAdmin(t);
    const tag = randomUUID().slice(0, 8);
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await registerUser(t.app, { email: `Find.${tag}.${i}@example.com` }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(t, { url: `/v1/users?email=find.${tag}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, token: admin.token });
      expect(res.statusCode).toBe(200);
      const page = res.json() as { data: Array<{ id: string; role: string }>; nextCursor: string | null };
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((u) => u.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(made.map((u) => u.userId).sort());

    const admins = (await call(t, { url: '/v1/users?role=admin&limit=200', token: admin.token })).json().data as Array<{
      role: string;
      id: string;
    }>;
    expect(admins.map((u) => u.id)).toContain(admin.userId);
    expect(admins.every((u) => u.role === 'admin')).toBe(true);
    // LIKE wildcards in the filter are literal.
    expect((await call(t, { url: `/v1/users?email=%25`, token: admin.token })).json().data).toEqual([]);
    const bad = await call(t, { url: '/v1/users?role=root', token: admin.token });
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'VALIDATION_FAILED']);
    const missing = await call(t, { method: 'PATCH', url: `/v1/users/${randomUUID()}`, token: admin.token, payload: { role: 'admin' } });
    expect([missing.statusCode, missing.json().code]).toEqual([404, 'USER_NOT_FOUND']);
  });

  it('never demotes the last admin, even when two admins demote each other at once', async () => {
    const fresh = await createTestApp({ state: 'memory' });
    try {
      const a = await createAdmin(fresh);
      const self = await call(fresh, { method: 'PATCH', url: `/v1/users/${a.userId}`, token: a.token, payload: { role: 'user' } });
      expect([self.statusCode, self.json().code]).toEqual([409, 'LAST_ADMIN']);

      const b = await createAdmin(fresh);
      const results = await Promise.all([
        call(fresh, { method: 'PATCH', url: `/v1/users/${b.userId}`, token: a.token, payload: { role: 'user' } }),
        call(fresh, { method: 'PATCH', url: `/v1/users/${a.userId}`, token: b.token, payload: { role: 'user' } }),
      ]);
      const statuses = results.map((r) => r.statusCode).sort();
      // One wins; the other finds itself the last admin (409) or already demoted (its token revoked: 401).
      expect(statuses[0]).toBe(200);
      expect([401, 409]).toContain(statuses[1]);
      const { rows } = await fresh.db.query(`SELECT count(*)::int AS n FROM auth.users WHERE role = 'admin'`);
      expect(rows[0].n).toBe(1);
    } finally {
      await fresh.close();
    }
  });
});
