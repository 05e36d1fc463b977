// Short-lived access tokens: a client with a refresh token renews its session by itself.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAdmin, createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';
import { AuthenticationError, PermissionError, Tiketi, type Session } from '../src/index.js';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const problem = (status: number, code: string) =>
  new Response(JSON.stringify({ type: 'about:blank', title: code, status, code }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });
const user = {
  id: '6f1c2b9e-0000-4000-8000-000000000001',
  email: 'a@example.com',
  name: 'A',
  phone: null,
  role: 'user',
  createdAt: '2026-11-24T00:00:00.000Z',
};
const sessionOf = (n: number) => ({ user, token: `access-${n}`, refreshToken: `rt_${n}`, expiresAt: '2026-11-24T00:15:00.000Z' });

/** A fake API: /auth/me accepts only the current access token; /auth/refresh rotates. */
function fakeApi(opts: { refreshWorks?: boolean } = {}) {
  let current = 1;
  const seen: string[] = [];
  const fetch = async (request: Request) => {
    const path = new URL(request.url).pathname;
    seen.push(`${request.method} ${path} ${request.headers.get('authorization') ?? ''}`.trim());
    if (path === '/v1/auth/refresh') {
      const { refreshToken } = (await request.json()) as { refreshToken: string };
      if (opts.refreshWorks === false || refreshToken !== `rt_${current}`) return problem(401, 'INVALID_REFRESH_TOKEN');
      current++;
      return json(200, sessionOf(current));
    }
    return request.headers.get('authorization') === `Bearer access-${current}` ? json(200, user) : problem(401, 'INVALID_TOKEN');
  };
  return { fetch, seen, expire: () => current++ };
}

describe('transparent refresh (injected fetch)', () => {
  it('renews an expired access token once, sends the call again and reports the new session', async () => {
    const api = fakeApi();
    const refreshed: Session[] = [];
    const client = new Tiketi({
      baseUrl: 'http://api.test',
      fetch: api.fetch,
      token: 'access-0',
      refreshToken: 'rt_1',
      onSessionRefreshed: (s) => void refreshed.push(s),
    });
    expect(await client.auth.me()).toMatchObject({ id: user.id });
    expect(api.seen).toEqual(['GET /v1/auth/me Bearer access-0', 'POST /v1/auth/refresh', 'GET /v1/auth/me Bearer access-2']);
    expect(refreshed.map((s) => s.refreshToken)).toEqual(['rt_2']);
    expect(client.credentials).toEqual({ token: 'access-2', refreshToken: 'rt_2' });
  });

  it('keeps the rotated session when the caller aborts while the refresh is on its way', async () => {
    const api = fakeApi();
    let answer: () => void = () => {};
    const arrived = new Promise<void>((resolve) => (answer = resolve));
    const refreshed: Session[] = [];
    const client = new Tiketi({
      baseUrl: 'http://api.test',
      // The refresh reaches the server (which rotates the token) but its answer comes after the abort.
      fetch: async (request) => {
        if (!request.url.endsWith('/v1/auth/refresh')) return api.fetch(request);
        const response = await api.fetch(request);
        await arrived;
        return response;
      },
      token: 'access-0',
      refreshToken: 'rt_1',
      onSessionRefreshed: (s) => void refreshed.push(s),
    });
    const controller = new AbortController();
    const call = client.auth.me({ signal: controller.signal }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(api.seen).toContain('POST /v1/auth/refresh'));
    controller.abort();
    expect(await call).toMatchObject({ code: 'ABORTED' });
    answer();
    // The next call uses the session the server rotated to, without another refresh.
    expect(await client.auth.me()).toMatchObject({ id: user.id });
    expect(refreshed.map((s) => s.refreshToken)).toEqual(['rt_2']);
    expect(api.seen.filter((s) => s.startsWith('POST /v1/auth/refresh'))).toHaveLength(1);
    expect(client.credentials).toEqual({ token: 'access-2', refreshToken: 'rt_2' });
  });

  it('refreshes once for many calls that fail together (a refresh token works once)', async () => {
    const api = fakeApi();
    const client = new Tiketi({ baseUrl: 'http://api.test', fetch: api.fetch, token: 'stale', refreshToken: 'rt_1' });
    const results = await Promise.all(Array.from({ length: 5 }, () => client.auth.me()));
    expect(results).toHaveLength(5);
    expect(api.seen.filter((s) => s.startsWith('POST /v1/auth/refresh'))).toHaveLength(1);
  });

  it('gives up with AuthenticationError when the refresh token is dead, and does not try it again', async () => {
    const api = fakeApi({ refreshWorks: false });
    const client = new Tiketi({ baseUrl: 'http://api.test', fetch: api.fetch, token: 'stale', refreshToken: 'rt_1' });
    const err = await client.auth.me().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).code).toBe('INVALID_REFRESH_TOKEN');
    const again = await client.auth.me().catch((e: unknown) => e);
    expect((again as AuthenticationError).code).toBe('INVALID_TOKEN');
    expect(api.seen.filter((s) => s.startsWith('POST /v1/auth/refresh'))).toHaveLength(1);
  });

  it('does not refresh without a refresh token or for a per-call token', async () => {
    const api = fakeApi();
    const plain = new Tiketi({ baseUrl: 'http://api.test', fetch: api.fetch, token: 'stale' });
    await expect(plain.auth.me()).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    const withRefresh = new Tiketi({ baseUrl: 'http://api.test', fetch: api.fetch, token: 'access-1', refreshToken: 'rt_1' });
    await expect(withRefresh.auth.me({ token: 'other' })).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    expect(api.seen.filter((s) => s.startsWith('POST /v1/auth/refresh'))).toHaveLength(0);
  });
});

describe('sessions against a real server', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ listen: true, state: 'memory' });
  });
  afterAll(async () => t?.close());

  it('keeps working across a revoked access token (role change) by refreshing, with the new role', async () => {
    const anonymous = new Tiketi({ baseUrl: t.baseUrl });
    const admin = await createAdmin(t);
    const u = await registerUser(t.app);
    let persisted: Session | undefined;
    const session = await anonymous.auth.login({ email: u.email, password: u.password });
    const client = new Tiketi({
      baseUrl: t.baseUrl,
      onSessionRefreshed: (s) => {
        persisted = s;
      },
    }).withSession(session);
    await expect(client.users.list()).rejects.toBeInstanceOf(PermissionError);
    const promoted = await anonymous.withToken(admin.token).users.setRole(u.userId, 'admin');
    expect(promoted.role).toBe('admin');
    // The old access token was revoked by the role change; the client refreshes into the new role.
    const page = await client.users.list({ email: u.email });
    expect(page.data.map((x) => x.id)).toEqual([u.userId]);
    expect(persisted?.user.role).toBe('admin');
    expect(client.credentials.refreshToken).toBe(persisted?.refreshToken);

    await client.auth.logoutEverywhere();
    await expect(client.auth.me()).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    await expect(anonymous.auth.refresh(persisted!.refreshToken)).rejects.toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
  });

  it('lists users with filters and pages through them', async () => {
    const admin = await createAdmin(t);
    const client = new Tiketi({ baseUrl: t.baseUrl, token: admin.token });
    const tag = randomUUID().slice(0, 8);
    for (let i = 0; i < 3; i++) await registerUser(t.app, { email: `sdk-${tag}-${i}@example.com` });
    const all = await client.users.list({ email: `sdk-${tag}`, limit: 1 }).toArray();
    expect(all.map((x) => x.email).sort()).toEqual([0, 1, 2].map((i) => `sdk-${tag}-${i}@example.com`));
  });
});
