import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, bearer, type TestApp, type TestAppOptions } from '../../test/harness/app.js';
import { seededRandom } from '../../test/harness/random.js';

// Apps made by a test, closed after it.
const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
async function appWith(config: TestAppOptions['config'], state: TestAppOptions['state'] = 'redis') {
  const t = await createTestApp({ state, config: { RATE_LIMIT_MAX: 10, RATE_LIMIT_WINDOW_MS: 60_000, ...config } });
  apps.push(t);
  return t;
}

/** Statuses of `n` requests sent one after another. */
async function statuses(n: number, send: (i: number) => Promise<{ statusCode: number }>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send(i)).statusCode);
  return out;
}
const count = (xs: number[], status: number) => xs.filter((s) => s === status).length;

describe('rate limits (RATE_LIMIT_MAX=10)', () => {
  it('15 requests with random Bearer junk: 10 reach the route (401), 5 are refused 429', async () => {
    const t = await appWith({});
    const rnd = seededRandom();
    const got = await statuses(15, () => t.app.inject({ url: '/v1/auth/me', headers: { authorization: `Bearer junk.${rnd.hex(40)}` } }));
    expect(got).toEqual([...Array<number>(10).fill(401), ...Array<number>(5).fill(429)]);
    // The same holds on a public route, where the junk is not even looked at.
    const t2 = await appWith({});
    const pub = await statuses(15, () => t2.app.inject({ url: '/v1/events', headers: { authorization: `Bearer ${rnd.hex(32)}` } }));
    expect(pub).toEqual([...Array<number>(10).fill(200), ...Array<number>(5).fill(429)]);
  });

  it('15 requests with rotating X-Forwarded-For: 10 answered, 5 refused (no proxy is trusted by default)', async () => {
    const t = await appWith({});
    const rnd = seededRandom();
    const got = await statuses(15, () =>
      t.app.inject({
        url: '/v1/events',
        headers: { 'x-forwarded-for': `${rnd.int(223) + 1}.${rnd.int(256)}.${rnd.int(256)}.${rnd.int(256)}` },
      }),
    );
    expect(got).toEqual([...Array<number>(10).fill(200), ...Array<number>(5).fill(429)]);
  });

  it('15 wrong-password logins: no more than 10 answers past the limiter (the sign-up included), then 429 RATE_LIMITED with Retry-After', async () => {
    const t = await appWith({});
    const user = await registerUser(t.app); // the registration is one of the address's 10
    const answers = [];
    for (let i = 0; i < 15; i++) {
      answers.push(
        await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: user.email, password: `wrong-${i}-password` } }),
      );
    }
    const got = answers.map((a) => a.statusCode);
    expect(got).toEqual([...Array<number>(9).fill(401), ...Array<number>(6).fill(429)]);
    const refused = answers.at(-1)!;
    expect(refused.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('counts a verified user on its own, so junk from the same address does not starve them', async () => {
    const t = await appWith({ RATE_LIMIT_MAX: 1000 });
    const [a, b] = [await registerUser(t.app), await registerUser(t.app)];
    apps.splice(apps.indexOf(t), 1);
    await t.close();
    // A second app on the same database and Redis keys, with the small limit.
    const small = await createTestApp({ databaseUrl: t.databaseUrl, config: { RATE_LIMIT_MAX: 10 } });
    apps.push(small);
    const rnd = seededRandom();
    const junk = await statuses(12, () => small.app.inject({ url: '/v1/auth/me', headers: { authorization: `Bearer ${rnd.hex(30)}` } }));
    expect(count(junk, 429)).toBe(2); // the address is spent
    const asA = await statuses(12, () => small.app.inject({ url: '/v1/auth/me', headers: bearer(a.token) }));
    expect(asA).toEqual([...Array<number>(10).fill(200), 429, 429]);
    const asB = await small.app.inject({ url: '/v1/auth/me', headers: bearer(b.token) });
    expect(asB.statusCode).toBe(200);
    expect(asB.headers['ratelimit-remaining']).toBe('9');
  });

  it('does not count CORS preflights', async () => {
    const t = await appWith({});
    const preflights = await statuses(15, () =>
      t.app.inject({
        method: 'OPTIONS',
        url: '/v1/events',
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'GET' },
      }),
    );
    expect(preflights).toEqual(Array<number>(15).fill(204));
    const res = await t.app.inject({ url: '/v1/events', headers: { origin: 'https://shop.example' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['ratelimit-remaining']).toBe('9');
  });

  it('counts each request once, HEAD included', async () => {
    const t = await appWith({});
    const remaining = async (method: 'GET' | 'HEAD') => (await t.app.inject({ method, url: '/v1/events' })).headers['ratelimit-remaining'];
    expect(await remaining('GET')).toBe('9');
    expect(await remaining('HEAD')).toBe('8');
    expect(await remaining('GET')).toBe('7');
  });

  it('limits /metrics whatever its query string; probes (/health, /ready) are never limited', async () => {
    const t = await appWith({});
    const metrics = await statuses(12, (i) => t.app.inject({ url: `/metrics?x=${i}` }));
    expect(metrics).toEqual([...Array<number>(10).fill(200), 429, 429]);
    const probes = await statuses(15, (i) => t.app.inject({ url: i % 2 ? `/health?x=${i}` : '/ready' }));
    expect(probes).toEqual(Array<number>(15).fill(200));
  });

  it('believes X-Forwarded-For from trusted proxies only (TRUST_PROXY hop count or CIDR list)', async () => {
    for (const trust of ['1', '127.0.0.0/8, ::1']) {
      const t = await appWith({ TRUST_PROXY: trust });
      const got = await statuses(15, (i) => t.app.inject({ url: '/v1/events', headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } }));
      expect(got).toEqual(Array<number>(15).fill(200));
      // One client behind the proxy is still limited.
      const one = await statuses(11, () => t.app.inject({ url: '/v1/events', headers: { 'x-forwarded-for': '203.0.113.7' } }));
      expect(one).toEqual([...Array<number>(10).fill(200), 429]);
    }
    // A proxy not in the list is not believed: its clients share the proxy's address.
    const t = await appWith({ TRUST_PROXY: '10.0.0.0/8' });
    const got = await statuses(11, (i) => t.app.inject({ url: '/v1/events', headers: { 'x-forwarded-for': `198.51.100.${i + 1}` } }));
    expect(got).toEqual([...Array<number>(10).fill(200), 429]);
  });
});

describe('sign-in limits (login, register, Google)', () => {
  it('limits attempts per account across addresses, and per address across accounts', async () => {
    const t = await appWith({
      RATE_LIMIT_MAX: 1000,
      TRUST_PROXY: '1',
      AUTH_RATE_LIMIT_PER_ACCOUNT: 3,
      AUTH_RATE_LIMIT_PER_IP: 5,
    });
    const user = await registerUser(t.app, {}); // from 127.0.0.1 (no X-Forwarded-For)
    const login = (email: string, ip: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/auth/login',
        headers: { 'x-forwarded-for': ip },
        payload: { email, password: 'not-the-password' },
      });
    // Credential stuffing on one account from many addresses: 3 attempts (its registration was the
    // first), then refused.
    const one = await statuses(5, (i) => login(user.email, `198.51.100.${i + 1}`));
    expect(one).toEqual([401, 401, 429, 429, 429]);
    // The right password is refused too while the account is over its limit (attempts are not told apart).
    const right = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      headers: { 'x-forwarded-for': '198.51.100.99' },
      payload: { email: user.email, password: user.password },
    });
    expect(right.statusCode).toBe(429);
    // Many accounts from one address: 5 evaluated, then refused, registration included.
    const many = await statuses(6, (i) => login(`nobody${i}@example.com`, '203.0.113.9'));
    expect(many).toEqual([401, 401, 401, 401, 401, 429]);
    const register = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      headers: { 'x-forwarded-for': '203.0.113.9' },
      payload: { email: 'fresh@example.com', password: 'correct horse battery', name: 'Fresh' },
    });
    expect(register.statusCode).toBe(429);
    const google = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/google',
      headers: { 'x-forwarded-for': '203.0.113.9' },
      payload: { idToken: 'x'.repeat(40) },
    });
    expect(google.statusCode).toBe(429);
    // Another address and another account are unaffected.
    expect((await login('someone@example.com', '192.0.2.1')).statusCode).toBe(401);
  });
});
