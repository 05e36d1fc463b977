// The SDK with an injected fetch: what a caller sees on retries, errors, pages and timeouts.
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  AuthenticationError,
  ConflictError,
  ConnectionError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  Tiketi,
  TiketiError,
  ValidationError,
  type TiketiConfig,
} from '../src/index.js';

type Reply = Response | Error | ((request: Request) => Response | Promise<Response>);

/** A fetch that answers from a script and records every request it got. */
function scriptedFetch(...replies: Reply[]) {
  const requests: Request[] = [];
  const bodies: string[] = [];
  const fetch = async (request: Request) => {
    requests.push(request);
    bodies.push(await request.clone().text());
    const reply = replies.shift();
    if (reply === undefined) throw new Error('no scripted reply left');
    if (reply instanceof Error) throw reply;
    return typeof reply === 'function' ? reply(request) : reply;
  };
  return { fetch, requests, bodies };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const problem = (status: number, code: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  new Response(
    JSON.stringify({
      type: `https://tiketi.dev/problems/${code}`,
      title: code.toLowerCase(),
      status,
      code,
      detail: `detail of ${code}`,
      requestId: 'req-123',
      ...extra,
    }),
    {
      status,
      headers: { 'content-type': 'application/problem+json', ...headers },
    },
  );

const session = {
  user: {
    id: '6f1c2b9e-0000-4000-8000-000000000001',
    email: 'a@example.com',
    name: 'A',
    phone: null,
    role: 'user',
    createdAt: '2026-11-24T00:00:00.000Z',
  },
  token: 'jwt',
};
const key = (n: number) => ({
  id: `6f1c2b9e-0000-4000-8000-${String(n).padStart(12, '0')}`,
  name: `key ${n}`,
  prefix: 'tk_abc',
  createdBy: session.user.id,
  createdAt: '2026-11-24T00:00:00.000Z',
  lastUsedAt: null,
  revokedAt: null,
});

const client = (fetch: TiketiConfig['fetch'], extra: Partial<TiketiConfig> = {}) =>
  new Tiketi({ baseUrl: 'http://api.test/', fetch, retryDelayMs: { initial: 1, max: 5 }, ...extra });

describe('retries', () => {
  it('retries a POST on 503 with the same Idempotency-Key and body, then returns the answer', async () => {
    const f = scriptedFetch(problem(503, 'SERVICE_UNAVAILABLE'), problem(503, 'SERVICE_UNAVAILABLE'), json(200, session));
    const result = await client(f.fetch).auth.login({ email: 'a@example.com', password: 'secret-password' });
    expect(result.token).toBe('jwt');
    expect(f.requests).toHaveLength(3);
    const keys = f.requests.map((r) => r.headers.get('idempotency-key'));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(new Set(f.bodies)).toEqual(new Set([JSON.stringify({ email: 'a@example.com', password: 'secret-password' })]));
    expect(f.requests[0]!.url).toBe('http://api.test/v1/auth/login');
  });

  it('gives each POST call its own key, and takes one from options', async () => {
    const f = scriptedFetch(
      json(201, { ...key(1), secret: 'tk_1' }),
      json(201, { ...key(2), secret: 'tk_2' }),
      json(201, { ...key(3), secret: 'tk_3' }),
    );
    const c = client(f.fetch, { token: 'admin' });
    await c.apiKeys.create({ name: 'a' });
    await c.apiKeys.create({ name: 'b' });
    await c.apiKeys.create({ name: 'c' }, { idempotencyKey: 'my-key-1' });
    const keys = f.requests.map((r) => r.headers.get('idempotency-key'));
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys[2]).toBe('my-key-1');
  });

  it('retries 429 after Retry-After and on connection errors, keeping the key', async () => {
    const f = scriptedFetch(problem(429, 'RATE_LIMITED', {}, { 'retry-after': '0' }), new TypeError('fetch failed'), json(200, session));
    await client(f.fetch).auth.login({ email: 'a@example.com', password: 'secret-password' });
    expect(f.requests).toHaveLength(3);
    expect(new Set(f.requests.map((r) => r.headers.get('idempotency-key'))).size).toBe(1);
  });

  it('waits at least Retry-After before the retry', async () => {
    const f = scriptedFetch(problem(429, 'RATE_LIMITED', {}, { 'retry-after': '1' }), json(200, session.user));
    const started = Date.now();
    await client(f.fetch, { token: 't' }).auth.me();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives up after maxRetries and throws the last error', async () => {
    const f = scriptedFetch(problem(503, 'SERVICE_UNAVAILABLE'), problem(502, 'INTERNAL_ERROR'), problem(500, 'INTERNAL_ERROR'));
    const err = await client(f.fetch, { token: 't' })
      .auth.me()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(500);
    expect(f.requests).toHaveLength(3); // 1 + default maxRetries (2)
  });

  it('honours maxRetries per call', async () => {
    const f = scriptedFetch(problem(503, 'SERVICE_UNAVAILABLE'), json(200, session.user));
    await expect(client(f.fetch).auth.me({ maxRetries: 0 })).rejects.toBeInstanceOf(ApiError);
    expect(f.requests).toHaveLength(1);
  });

  it('never retries 409 or 400', async () => {
    const f = scriptedFetch(
      problem(409, 'EMAIL_TAKEN'),
      problem(400, 'VALIDATION_FAILED', { errors: [{ path: '/email', message: 'must match format "email"' }] }),
    );
    const c = client(f.fetch);
    await expect(c.auth.register({ email: 'a@example.com', password: 'secret-password', name: 'A' })).rejects.toBeInstanceOf(ConflictError);
    expect(f.requests).toHaveLength(1);
    const err = await c.auth.register({ email: 'bad', password: 'secret-password', name: 'A' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).errors).toEqual([{ path: '/email', message: 'must match format "email"' }]);
    expect(f.requests).toHaveLength(2);
  });

  it('retries only the 409 that means its own earlier attempt is still running (same key)', async () => {
    const f = scriptedFetch(problem(409, 'IDEMPOTENCY_KEY_IN_USE'), json(201, { ...key(1), secret: 'tk_1' }));
    expect((await client(f.fetch, { token: 'admin' }).apiKeys.create({ name: 'ci' })).secret).toBe('tk_1');
    expect(f.requests).toHaveLength(2);
    expect(f.requests[0]!.headers.get('idempotency-key')).toBe(f.requests[1]!.headers.get('idempotency-key'));
  });
});

describe('errors', () => {
  it.each([
    [400, 'VALIDATION_FAILED', ValidationError],
    [422, 'IDEMPOTENCY_KEY_REUSED', ValidationError],
    [401, 'INVALID_API_KEY', AuthenticationError],
    [403, 'FORBIDDEN', PermissionError],
    [404, 'API_KEY_NOT_FOUND', NotFoundError],
    [409, 'SEAT_UNAVAILABLE', ConflictError],
    [429, 'RATE_LIMITED', RateLimitError],
    [500, 'INTERNAL_ERROR', ApiError],
  ] as const)('%i %s → %s with the problem fields', async (status, code, Class) => {
    const f = scriptedFetch(problem(status, code, { seatIds: ['s1'] }, { 'retry-after': '7', 'x-request-id': 'header-id' }));
    const err = await client(f.fetch)
      .apiKeys.revoke('6f1c2b9e-0000-4000-8000-000000000001', { maxRetries: 0 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Class);
    expect(err).toBeInstanceOf(TiketiError);
    const e = err as TiketiError;
    expect(e.name).toBe(Class.name);
    expect(e.status).toBe(status);
    expect(e.code).toBe(code);
    expect(e.requestId).toBe('req-123');
    expect(e.problem?.seatIds).toEqual(['s1']);
    expect(e.message).toContain(`detail of ${code}`);
    if (e instanceof RateLimitError) expect(e.retryAfter).toBe(7);
  });

  it('handles a non-problem body (a proxy page) and takes the request id from the header', async () => {
    const f = scriptedFetch(new Response('<html>Bad gateway</html>', { status: 502, headers: { 'x-request-id': 'from-header' } }));
    const err = (await client(f.fetch)
      .auth.me({ maxRetries: 0 })
      .catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('HTTP_502');
    expect(err.problem).toBeUndefined();
    expect(err.requestId).toBe('from-header');
  });

  it('maps an unreachable server to ConnectionError after the retries', async () => {
    const f = scriptedFetch(new TypeError('fetch failed'), new TypeError('fetch failed'));
    const err = (await client(f.fetch, { maxRetries: 1 })
      .auth.me()
      .catch((e: unknown) => e)) as ConnectionError;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.code).toBe('CONNECTION_FAILED');
    expect(err.status).toBeUndefined();
    expect(f.requests).toHaveLength(2);
  });
});

describe('timeouts and aborts', () => {
  const hang = () => new Promise<Response>(() => {});

  it('turns a request that hangs past timeoutMs into ConnectionError TIMEOUT, retried', async () => {
    const f = scriptedFetch(hang, hang);
    // Without the timeout these requests would hang until the test's own timeout.
    const err = (await client(f.fetch, { timeoutMs: 50, maxRetries: 1 })
      .auth.me()
      .catch((e: unknown) => e)) as ConnectionError;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.code).toBe('TIMEOUT');
    expect(f.requests).toHaveLength(2);
    expect(f.requests[0]!.signal.aborted).toBe(true);
  });

  it('per-call timeoutMs overrides the client', async () => {
    const f = scriptedFetch(hang);
    const err = (await client(f.fetch, { timeoutMs: 60_000 })
      .auth.me({ timeoutMs: 30, maxRetries: 0 })
      .catch((e: unknown) => e)) as ConnectionError;
    expect(err.code).toBe('TIMEOUT');
  });

  it('stops at once on the caller signal, without retrying', async () => {
    const f = scriptedFetch(hang, hang);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const err = (await client(f.fetch)
      .auth.me({ signal: controller.signal })
      .catch((e: unknown) => e)) as ConnectionError;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.code).toBe('ABORTED');
    expect(f.requests).toHaveLength(1);
  });
});

describe('credentials and headers', () => {
  it('sends the client token, a per-call token, and withToken', async () => {
    const f = scriptedFetch(json(200, session.user), json(200, session.user), json(200, session.user));
    const c = client(f.fetch, { token: 'one', userAgent: 'tiketi-test/1' });
    await c.auth.me();
    await c.auth.me({ token: 'two' });
    await c.withToken('three').auth.me();
    expect(f.requests.map((r) => r.headers.get('authorization'))).toEqual(['Bearer one', 'Bearer two', 'Bearer three']);
    expect(f.requests[0]!.headers.get('user-agent')).toBe('tiketi-test/1');
    expect(f.requests[0]!.headers.get('idempotency-key')).toBeNull(); // GET
  });
});

describe('hold options', () => {
  it('sends the waiting-room admission token as X-Queue-Token, with the Idempotency-Key', async () => {
    const f = scriptedFetch(json(201, { id: 'h' }));
    await client(f.fetch, { token: 'user' }).holds.create(
      '6f1c2b9e-0000-4000-8000-000000000001',
      { seatIds: ['6f1c2b9e-0000-4000-8000-000000000002'] },
      { queueToken: 'qt-1' },
    );
    expect(f.requests[0]!.headers.get('x-queue-token')).toBe('qt-1');
    expect(f.requests[0]!.headers.get('idempotency-key')).toMatch(/^[0-9a-f-]{36}$/);
    expect(f.requests[0]!.url).toBe('http://api.test/v1/events/6f1c2b9e-0000-4000-8000-000000000001/holds');
  });
});

describe('pagination', () => {
  const pages = () =>
    scriptedFetch(
      json(200, { data: [key(1), key(2)], nextCursor: 'c1' }),
      json(200, { data: [key(3), key(4)], nextCursor: 'c2' }),
      json(200, { data: [key(5)], nextCursor: null }),
    );

  it('awaits to the first page', async () => {
    const f = pages();
    const page = await client(f.fetch).apiKeys.list({ limit: 2 });
    expect(page.data.map((k) => k.name)).toEqual(['key 1', 'key 2']);
    expect(page.nextCursor).toBe('c1');
    expect(f.requests).toHaveLength(1);
    expect(new URL(f.requests[0]!.url).searchParams.get('limit')).toBe('2');
  });

  it('iterates every item across pages, passing each nextCursor', async () => {
    const f = pages();
    const names: string[] = [];
    for await (const k of client(f.fetch).apiKeys.list({ limit: 2 })) names.push(k.name);
    expect(names).toEqual(['key 1', 'key 2', 'key 3', 'key 4', 'key 5']);
    const urls = f.requests.map((r) => new URL(r.url));
    expect(urls.map((u) => u.searchParams.get('cursor'))).toEqual([null, 'c1', 'c2']);
    expect(urls.every((u) => u.searchParams.get('limit') === '2')).toBe(true);
  });

  it('fetches only the pages it needs, and toArray collects', async () => {
    const f = pages();
    const list = client(f.fetch).apiKeys.list();
    for await (const k of list) if (k.name === 'key 1') break;
    expect(f.requests).toHaveLength(1);
    const g = pages();
    expect((await client(g.fetch).apiKeys.list().toArray()).length).toBe(5);
    const h = pages();
    expect(await client(h.fetch).apiKeys.list().toArray(3)).toHaveLength(3);
    expect(h.requests).toHaveLength(2);
  });

  it('sends nothing until awaited or iterated', async () => {
    const f = pages();
    client(f.fetch).apiKeys.list();
    // A later request through the same fetch completes, and it is the only one sent.
    await client(f.fetch).apiKeys.list().toArray(1);
    expect(f.requests).toHaveLength(1);
  });
});
