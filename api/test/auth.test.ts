import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { bearer, createAdmin, createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, payload: payload as object, headers });

describe('register and login', () => {
  it('registers a user, returns a token that /auth/me accepts, and stores no plain password', async () => {
    const res = await post('/v1/auth/register', { email: 'Mina@Example.com', password: 'long enough pw', name: 'Mina' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.user).toMatchObject({ email: 'Mina@Example.com', name: 'Mina', role: 'user' });
    expect(body.user).not.toHaveProperty('passwordHash');
    const me = await t.app.inject({ method: 'GET', url: '/v1/auth/me', headers: bearer(body.token) });
    expect(me.statusCode).toBe(200);
    expect(me.json().id).toBe(body.user.id);
    const { rows } = await t.db.query('SELECT password_hash FROM auth.users WHERE id = $1', [body.user.id]);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$/);
  });

  it('logs in case-insensitively by email and refuses a wrong password with INVALID_CREDENTIALS', async () => {
    const u = await registerUser(t.app);
    const ok = await post('/v1/auth/login', { email: u.email.toUpperCase(), password: u.password });
    expect(ok.statusCode).toBe(200);
    const bad = await post('/v1/auth/login', { email: u.email, password: 'wrong password' });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.json()).toMatchObject({ code: 'INVALID_CREDENTIALS', status: 401 });
    const unknown = await post('/v1/auth/login', { email: 'nobody@example.com', password: 'whatever123' });
    expect(unknown.json().code).toBe('INVALID_CREDENTIALS');
  });

  it('rejects a malformed email, a short password and unknown fields with VALIDATION_FAILED naming the field', async () => {
    const email = await post('/v1/auth/register', { email: 'not-an-email', password: 'long enough pw', name: 'A' });
    expect(email.statusCode).toBe(400);
    expect(email.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(email.json().errors).toContainEqual(expect.objectContaining({ path: '/body/email' }));

    const short = await post('/v1/auth/register', { email: 'short@example.com', password: 'short', name: 'A' });
    expect(short.statusCode).toBe(400);
    expect(short.json().errors).toContainEqual(expect.objectContaining({ path: '/body/password' }));

    const extra = await post('/v1/auth/register', { email: 'x@example.com', password: 'long enough pw', name: 'A', role: 'admin' });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().errors).toContainEqual({ path: '/body/role', message: 'is not a known field' });
    const { rowCount } = await t.db.query(`SELECT 1 FROM auth.users WHERE email = 'x@example.com'`);
    expect(rowCount).toBe(0);
  });

  it('refuses a duplicate email with EMAIL_TAKEN, whatever its case', async () => {
    const u = await registerUser(t.app);
    const dup = await post('/v1/auth/register', { email: u.email.toUpperCase(), password: 'long enough pw', name: 'Dup' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('EMAIL_TAKEN');
  });

  it('answers malformed JSON with MALFORMED_JSON', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('MALFORMED_JSON');
  });
});

describe('tokens', () => {
  it('refuses no token, a tampered token and an expired token', async () => {
    const none = await t.app.inject({ method: 'GET', url: '/v1/auth/me' });
    expect(none.statusCode).toBe(401);
    expect(none.json().code).toBe('AUTHENTICATION_REQUIRED');

    const u = await registerUser(t.app);
    const [h, p, s] = u.token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, role: 'admin' })).toString('base64url');
    const tampered = await t.app.inject({ method: 'GET', url: '/v1/api-keys', headers: bearer(`${h}.${forged}.${s}`) });
    expect(tampered.statusCode).toBe(401);
    expect(tampered.json().code).toBe('INVALID_TOKEN');

    const expired = await new SignJWT({ email: u.email, role: 'user' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(u.userId)
      .setIssuer('tiketi')
      .setAudience('tiketi-api')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(t.config.JWT_SECRET));
    const res = await t.app.inject({ method: 'GET', url: '/v1/auth/me', headers: bearer(expired) });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'INVALID_TOKEN', detail: 'The token has expired' });
  });

  it('verifies tokens for other services', async () => {
    const u = await registerUser(t.app);
    const ok = await post('/v1/auth/verify', { token: u.token });
    expect(ok.json()).toMatchObject({ valid: true, claims: { sub: u.userId, role: 'user' } });
    const bad = await post('/v1/auth/verify', { token: u.token.slice(0, -3) + 'xyz' });
    expect(bad.json()).toMatchObject({ valid: false, claims: null });
  });
});

describe('admin API keys', () => {
  it('are for admins only, shown once, stored hashed, accepted as Bearer and dead once revoked', async () => {
    const user = await registerUser(t.app);
    const denied = await post('/v1/api-keys', { name: 'ci' }, bearer(user.token));
    expect(denied.statusCode).toBe(403);
    expect(denied.json().code).toBe('FORBIDDEN');

    const admin = await createAdmin(t);
    const created = await post('/v1/api-keys', { name: 'ci' }, bearer(admin.token));
    expect(created.statusCode).toBe(201);
    const key = created.json();
    expect(key.secret).toMatch(/^tk_[A-Za-z0-9_-]{40,}$/);
    const { rows } = await t.db.query('SELECT secret_hash FROM auth.api_keys WHERE id = $1', [key.id]);
    expect(rows[0].secret_hash.toString('utf8')).not.toContain(key.secret);

    const list = await t.app.inject({ method: 'GET', url: '/v1/api-keys', headers: bearer(admin.token) });
    expect(list.statusCode).toBe(200);
    expect(list.json().data.map((k: { id: string }) => k.id)).toContain(key.id);
    expect(JSON.stringify(list.json())).not.toContain(key.secret);
    // The key works as Bearer (a read-only key: admin reads).
    expect((await t.app.inject({ method: 'GET', url: '/v1/keyword-mappings', headers: bearer(key.secret) })).statusCode).toBe(200);

    const me = await t.app.inject({ method: 'GET', url: '/v1/auth/me', headers: bearer(key.secret) });
    expect(me.json()).toMatchObject({ role: 'admin', id: admin.userId });

    const revoked = await t.app.inject({ method: 'DELETE', url: `/v1/api-keys/${key.id}`, headers: bearer(admin.token) });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).not.toBeNull();
    const after = await t.app.inject({ method: 'GET', url: '/v1/keyword-mappings', headers: bearer(key.secret) });
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('INVALID_API_KEY');
  });

  it('paginates with a cursor and rejects a forged cursor', async () => {
    const admin = await createAdmin(t);
    for (let i = 0; i < 5; i++) await post('/v1/api-keys', { name: `k${i}` }, bearer(admin.token));
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const res: { json(): { data: { id: string }[]; nextCursor: string | null } } = await t.app.inject({
        method: 'GET',
        url: `/v1/api-keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        headers: bearer(admin.token),
      });
      const page: { data: { id: string }[]; nextCursor: string | null } = res.json();
      expect(page.data.length).toBeLessThanOrEqual(2);
      for (const k of page.data) seen.add(k.id);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.size).toBeGreaterThanOrEqual(5);
    const bad = await t.app.inject({ method: 'GET', url: '/v1/api-keys?cursor=garbage', headers: bearer(admin.token) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('VALIDATION_FAILED');
  });
});
