// The SDK against a real API server (real HTTP, PostgreSQL and Redis), as a script would use it.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, createTestApp, type TestApp } from '../../test/harness/app.js';
import {
  AuthenticationError,
  ConflictError,
  ConnectionError,
  PermissionError,
  RateLimitError,
  Tiketi,
  ValidationError,
} from '../src/index.js';

let t: TestApp;
let client: Tiketi;
beforeAll(async () => {
  t = await createTestApp({ listen: true });
  client = new Tiketi({ baseUrl: t.baseUrl, userAgent: 'tiketi-sdk-test' });
});
afterAll(async () => t?.close());

describe('auth', () => {
  it('registers, logs in and reads me with the token it got', async () => {
    const email = `sdk-${randomUUID().slice(0, 8)}@example.com`;
    const registered = await client.auth.register({ email, password: 'correct horse battery', name: 'SDK User' });
    expect(registered.user).toMatchObject({ email, name: 'SDK User', role: 'user' });

    const session = await client.auth.login({ email, password: 'correct horse battery' });
    expect(session.user.id).toBe(registered.user.id);
    const me = await client.withToken(session.token).auth.me();
    expect(me).toMatchObject({ id: registered.user.id, email, role: 'user' });

    const verified = await client.auth.verify(session.token);
    expect(verified).toMatchObject({ valid: true, claims: { sub: registered.user.id, role: 'user' } });
    expect((await client.auth.verify('not-a-jwt')).valid).toBe(false);
  });

  it('throws typed errors with the server problem code and request id', async () => {
    const email = `dup-${randomUUID().slice(0, 8)}@example.com`;
    await client.auth.register({ email, password: 'correct horse battery', name: 'Dup' });
    const dup = await client.auth.register({ email, password: 'correct horse battery', name: 'Dup' }).catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ConflictError);
    expect(dup).toMatchObject({ status: 409, code: 'EMAIL_TAKEN' });
    expect((dup as ConflictError).requestId).toEqual(expect.any(String));

    const wrong = await client.auth.login({ email, password: 'wrong password!' }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(AuthenticationError);
    expect(wrong).toMatchObject({ status: 401, code: 'INVALID_CREDENTIALS' });

    const invalid = (await client.auth
      .register({ email: 'not-an-email', password: 'correct horse battery', name: 'X' })
      .catch((e: unknown) => e)) as ValidationError;
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid.code).toBe('VALIDATION_FAILED');
    expect(invalid.errors).toContainEqual(expect.objectContaining({ path: '/body/email' }));

    const anonymous = await client.auth.me().catch((e: unknown) => e);
    expect(anonymous).toMatchObject({ status: 401, code: 'AUTHENTICATION_REQUIRED' });
  });
});

describe('admin API keys', () => {
  it('creates, lists (one page and all pages), revokes; the revoked key fails with INVALID_API_KEY', async () => {
    const admin = await createAdmin(t);
    const asAdmin = client.withToken(admin.token);
    const created = [];
    for (const name of ['ci', 'deploy', 'backup']) created.push(await asAdmin.apiKeys.create({ name }));
    expect(created[0]!.secret).toMatch(/^tk_/);

    // The key itself is a credential.
    const viaKey = client.withToken(created[0]!.secret);
    expect((await viaKey.auth.me()).role).toBe('admin');

    const first = await asAdmin.apiKeys.list({ limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.data[0]).not.toHaveProperty('secret');
    expect(first.nextCursor).toEqual(expect.any(String));
    const all: string[] = [];
    for await (const k of asAdmin.apiKeys.list({ limit: 2 })) all.push(k.id);
    expect(all).toEqual(created.map((k) => k.id).reverse()); // newest first, across two pages

    const revoked = await asAdmin.apiKeys.revoke(created[0]!.id);
    expect(revoked.revokedAt).toEqual(expect.any(String));
    const refused = await viaKey.auth.me().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AuthenticationError);
    expect(refused).toMatchObject({ status: 401, code: 'INVALID_API_KEY' });

    const notFound = await asAdmin.apiKeys.revoke(randomUUID()).catch((e: unknown) => e);
    expect(notFound).toMatchObject({ status: 404, code: 'API_KEY_NOT_FOUND' });
  });

  it('refuses a user token with PermissionError', async () => {
    const email = `plain-${randomUUID().slice(0, 8)}@example.com`;
    const { token } = await client.auth.register({ email, password: 'correct horse battery', name: 'Plain' });
    const err = await client.apiKeys.create({ name: 'nope' }, { token }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermissionError);
    expect(err).toMatchObject({ status: 403, code: 'FORBIDDEN' });
  });
});

describe('request: any route of the spec', () => {
  it('calls a route typed from the spec, with the client credential and error mapping', async () => {
    const email = `raw-${randomUUID().slice(0, 8)}@example.com`;
    const { token } = await client.auth.register({ email, password: 'correct horse battery', name: 'Raw' });
    const me = await client.withToken(token).request((http, init) => http.GET('/v1/auth/me', init));
    expect(me.email).toBe(email);
    const err = await client.request((http, init) => http.GET('/v1/auth/me', init)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
  });
});

describe('transport against a real socket', () => {
  it('reuses one keep-alive connection for sequential calls (Node fetch is undici)', async () => {
    const clientPorts = new Set<number | undefined>();
    const record = (req: { socket: { remotePort?: number } }) => clientPorts.add(req.socket.remotePort);
    t.app.server.on('request', record);
    try {
      const c = new Tiketi({ baseUrl: t.baseUrl });
      for (let i = 0; i < 10; i++) await c.auth.verify('not-a-jwt');
      // Without keep-alive every call opens its own socket (10); undici's pool may hold an earlier idle one too.
      expect(clientPorts.size).toBeLessThanOrEqual(2);
    } finally {
      t.app.server.off('request', record);
    }
  });

  it('reports a server that is not there as ConnectionError', async () => {
    const dead = new Tiketi({ baseUrl: 'http://127.0.0.1:1', maxRetries: 1, retryDelayMs: { initial: 1, max: 2 } });
    const err = await dead.auth.me().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err).toMatchObject({ code: 'CONNECTION_FAILED' });
  });

  it('surfaces the server rate limit as RateLimitError with retryAfter', async () => {
    const limited = await createTestApp({ listen: true, config: { RATE_LIMIT_MAX: 2, RATE_LIMIT_WINDOW_MS: 60_000 } });
    try {
      const c = new Tiketi({ baseUrl: limited.baseUrl, maxRetries: 0 });
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => c.auth.verify('x')));
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as RateLimitError);
      expect(rejected.length).toBeGreaterThan(0);
      expect(rejected[0]).toBeInstanceOf(RateLimitError);
      expect(rejected[0]!.code).toBe('RATE_LIMITED');
      expect(rejected[0]!.retryAfter).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });
});
