// Bad input at the edge: every malformed request answers a 4xx problem+json with a code listed in the
// spec, the security headers and a request id; never a 5xx. Lists page exactly at microsecond ties.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../api/src/app.js';
import { ERROR_CODES } from '../../api/src/errors.js';
import { encodeCursor } from '../../api/src/pagination.js';
import { bearer, createAdmin, createTestApp, type TestApp } from '../../test/harness/app.js';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';

let t: TestApp;
let adminToken: string;

beforeAll(async () => {
  t = await createTestApp({ listen: true, config: { RATE_LIMIT: 'off' } });
  adminToken = (await createAdmin(t)).token;
});
afterAll(async () => t?.close());

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
const call = (method: Method, url: string, payload?: unknown, token: string | null = adminToken) => {
  const headers: Record<string, string> = token ? bearer(token) : {};
  // A string payload is raw JSON text (for escapes such as a lone surrogate that JSON.stringify would not write).
  if (typeof payload === 'string') headers['content-type'] = 'application/json';
  return t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
};

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends bytes as they are (no client-side URL or header checks) and reads the answer until close. */
function rawRequest(head: string, body = ''): Promise<RawResponse> {
  const { port } = new URL(t.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (err) => (chunks.length > 0 ? undefined : reject(err)));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [headText = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = headText.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
    socket.write(`${head}\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n${body}`);
  });
}

/** A problem answer as the spec promises it: status, listed code, security headers, request id. */
function expectProblem(
  res: { statusCode?: number; status?: number; headers: Record<string, unknown>; body: string },
  status: number,
  code: string,
) {
  expect(res.statusCode ?? res.status, res.body).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const problem = JSON.parse(res.body);
  expect(problem).toMatchObject({ status, code });
  expect(Object.keys(ERROR_CODES)).toContain(code);
  expect(ERROR_CODES[code as keyof typeof ERROR_CODES].status).toBe(status);
  expect(res.headers['x-request-id']).toBe(problem.requestId);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['x-frame-options']).toBe('DENY');
  return problem as { errors?: Array<{ path: string; message: string }>; detail: string };
}

const eventBody = (extra: Record<string, unknown> = {}) => ({
  title: `Concert ${randomUUID().slice(0, 8)}`,
  venue: 'KSPO DOME',
  eventDate: '2027-03-01T19:00:00+09:00',
  ...extra,
});

describe('the spec', () => {
  it('constrains every string a request carries: a pattern, a format or an enum', () => {
    const spec = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'));
    const loose: string[] = [];
    const walk = (schema: Record<string, unknown> | undefined, at: string): void => {
      if (!schema || typeof schema !== 'object') return;
      if (typeof schema.$ref === 'string') return walk(spec.components.schemas[schema.$ref.split('/').pop()!], at);
      const types = ([] as unknown[]).concat(schema.type ?? []);
      if (types.includes('string') && !schema.pattern && !schema.format && !schema.enum && schema.const === undefined) loose.push(at);
      for (const [key, sub] of Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>))
        walk(sub, `${at}/${key}`);
      if (schema.items) walk(schema.items as Record<string, unknown>, `${at}/items`);
      for (const k of ['anyOf', 'oneOf', 'allOf']) for (const sub of (schema[k] ?? []) as Record<string, unknown>[]) walk(sub, at);
    };
    let strings = 0;
    for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, Record<string, unknown>>>)) {
      for (const [method, op] of Object.entries(item)) {
        for (const p of (op.parameters ?? []) as Array<{ name: string; schema: Record<string, unknown> }>) {
          if (p.schema.type === 'string') strings++;
          walk(p.schema, `${method.toUpperCase()} ${path} ${p.name}`);
        }
        const body = (op.requestBody as { content?: Record<string, { schema: Record<string, unknown> }> } | undefined)?.content?.[
          'application/json'
        ]?.schema;
        walk(body, `${method.toUpperCase()} ${path} body`);
      }
    }
    expect(strings).toBeGreaterThan(20);
    expect(loose).toEqual([]);
  });
});

describe('text fields', () => {
  it('refuses NUL bytes in body text and in q', async () => {
    expectProblem(await call('POST', '/v1/events', eventBody({ title: 'IU\u0000Concert' })), 400, 'VALIDATION_FAILED');
    expectProblem(await call('POST', '/v1/events', eventBody({ description: 'a\u0000b' })), 400, 'VALIDATION_FAILED');
    expectProblem(await call('POST', '/v1/keyword-mappings', { korean: '아이유\u0000', english: 'IU' }), 400, 'VALIDATION_FAILED');
    expectProblem(await call('GET', '/v1/events?q=IU%00', undefined, null), 400, 'VALIDATION_FAILED');
    expectProblem(
      await call('POST', '/v1/auth/login', { email: 'a@example.com', password: 'pass\u0000word' }, null),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('refuses lone surrogates, and keeps real astral characters', async () => {
    const lone = await call('POST', '/v1/events', `{"title":"IU \\ud800 live","venue":"KSPO","eventDate":"2027-03-01T19:00:00Z"}`);
    expect(expectProblem(lone, 400, 'VALIDATION_FAILED').errors?.[0]?.path).toBe('/body/title');
    const lowOnly = await call('POST', '/v1/news', `{"title":"news","content":"\\udc00"}`);
    expectProblem(lowOnly, 400, 'VALIDATION_FAILED');
    const emoji = await call('POST', '/v1/news', { title: 'Concert 🎤', content: 'Tickets 🎫 on sale' });
    expect(emoji.statusCode, emoji.body).toBe(201);
    expect(emoji.json().title).toBe('Concert 🎤');
  });

  it('refuses whitespace-only names and titles that the service would trim to nothing', async () => {
    expectProblem(await call('POST', '/v1/keyword-mappings', { korean: '   ', english: 'IU' }), 400, 'VALIDATION_FAILED');
    expectProblem(await call('POST', '/v1/keyword-mappings', { korean: '아이유', english: '\t\u3000' }), 400, 'VALIDATION_FAILED');
    expectProblem(await call('POST', '/v1/events', eventBody({ title: ' \n ' })), 400, 'VALIDATION_FAILED');
    expectProblem(await call('GET', '/v1/events?q=%20%20', undefined, null), 400, 'VALIDATION_FAILED');
    // Leading and trailing space around a word is still a word.
    const ok = await call('POST', '/v1/keyword-mappings', { korean: ' 방탄소년단 ', english: 'BTS' });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().korean).toBe('방탄소년단');
  });

  it('takes http(s) URLs only', async () => {
    const js = await call('POST', '/v1/events', eventBody({ posterImageUrl: 'javascript:alert(1)' }));
    expectProblem(js, 400, 'VALIDATION_FAILED');
    expectProblem(await call('POST', '/v1/events', eventBody({ posterImageUrl: 'ftp://example.com/a.png' })), 400, 'VALIDATION_FAILED');
    const https = await call('POST', '/v1/events', eventBody({ posterImageUrl: 'https://cdn.example.com/iu.png' }));
    expect(https.statusCode, https.body).toBe(201);
  });
});

describe('JSON bodies are not coerced; querystrings are', () => {
  it('refuses a number for a string and null for a price', async () => {
    expectProblem(await call('POST', '/v1/events', eventBody({ title: 12345 })), 400, 'VALIDATION_FAILED');
    const ev = await call('POST', '/v1/events', eventBody());
    expect(ev.statusCode).toBe(201);
    const eventId = ev.json().id;
    const free = await call('POST', `/v1/events/${eventId}/ticket-types`, { name: 'GA', kind: 'general', price: null, totalQuantity: 10 });
    expect(expectProblem(free, 400, 'VALIDATION_FAILED').errors?.[0]?.path).toBe('/body/price');
    const text = await call('POST', `/v1/events/${eventId}/ticket-types`, {
      name: 'GA',
      kind: 'general',
      price: '1000',
      totalQuantity: 10,
    });
    expectProblem(text, 400, 'VALIDATION_FAILED');
    const flag = await call('POST', '/v1/news', { title: 'n', content: 'c', isPinned: 'true' });
    expectProblem(flag, 400, 'VALIDATION_FAILED');
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM ticket.ticket_types WHERE event_id = $1', [eventId]);
    expect(rows[0].n).toBe(0);
    // The querystring is text on the wire: limit=1 is still the number 1.
    const page = await call('GET', '/v1/events?limit=1', undefined, null);
    expect(page.statusCode).toBe(200);
    expect(page.json().data).toHaveLength(1);
  });
});

describe('ids and date-times that PostgreSQL would not take', () => {
  it('refuses urn:uuid ids in params, queries and bodies, including a hold', async () => {
    const id = randomUUID();
    expectProblem(await call('GET', `/v1/events/urn:uuid:${id}`, undefined, null), 400, 'VALIDATION_FAILED');
    expectProblem(await call('GET', `/v1/events/{${id}}`, undefined, null), 400, 'VALIDATION_FAILED');
    expectProblem(await call('GET', `/v1/events/${id.replace(/-/g, '')}`, undefined, null), 400, 'VALIDATION_FAILED');
    expectProblem(await call('GET', `/v1/reservations?eventId=urn:uuid:${id}`), 400, 'VALIDATION_FAILED');
    expectProblem(await call('POST', '/v1/events', eventBody({ seatLayoutId: `urn:uuid:${id}` })), 400, 'VALIDATION_FAILED');

    const ev = await createEventFixture(t.db);
    const [buyer, other] = await createUsers(t, 2);
    const [s1, s2] = ev.seats.A!;
    // A bad hold beside a good one in the same instant: the bad one is refused at the edge, the good one holds.
    const [bad, good] = await Promise.all([
      t.app.inject({
        method: 'POST',
        url: `/v1/events/${ev.eventId}/holds`,
        headers: bearer(buyer!.token),
        payload: { seatIds: [s1, `urn:uuid:${s2}`] },
      }),
      t.app.inject({ method: 'POST', url: `/v1/events/${ev.eventId}/holds`, headers: bearer(other!.token), payload: { seatIds: [s2] } }),
    ]);
    expect(expectProblem(bad, 400, 'VALIDATION_FAILED').errors?.[0]?.path).toBe('/body/seatIds/1');
    expect(good.statusCode, good.body).toBe(201);
    const { rows } = await t.db.query('SELECT user_id FROM ticket.holds WHERE event_id = $1', [ev.eventId]);
    expect(rows).toEqual([{ user_id: other!.userId }]);
  });

  it('refuses year 0000, offsets beyond ±15:59 and the leap second, in bodies and queries', async () => {
    for (const eventDate of [
      '0000-01-01T00:00:00Z',
      '2027-03-01T19:00:00+16:00',
      '2027-03-01T19:00:00-23:59',
      '2026-12-31T23:59:60Z',
      '2027-02-29T10:00:00Z',
      '2027-03-01 19:00:00Z',
    ]) {
      expectProblem(await call('POST', '/v1/events', eventBody({ eventDate })), 400, 'VALIDATION_FAILED');
      const query = await call('GET', `/v1/events?from=${encodeURIComponent(eventDate)}`, undefined, null);
      expectProblem(query, 400, 'VALIDATION_FAILED');
    }
    for (const eventDate of [
      '0001-01-01T00:00:00Z',
      '2027-03-01T19:00:00+15:59',
      '9999-12-31T23:59:59.999999-15:59',
      '2028-02-29T10:00:00Z',
    ]) {
      const res = await call('POST', '/v1/events', eventBody({ eventDate }));
      expect(res.statusCode, `${eventDate}: ${res.body}`).toBe(201);
      expect(new Date(res.json().eventDate).getTime()).toBe(new Date(eventDate).getTime());
    }
  });
});

describe('cursors', () => {
  const lists = [
    '/v1/events',
    '/v1/news',
    '/v1/seat-layouts',
    '/v1/keyword-mappings',
    '/v1/reservations',
    '/v1/me/reservations',
    '/v1/api-keys',
  ];
  const forged = [
    'not-base64!',
    encodeCursor(['x']),
    encodeCursor([1, 2]),
    encodeCursor(['2026-11-29T05:44:04.123456Z AD', 'urn:uuid:6f1c2a64-0000-4000-8000-000000000000']),
    encodeCursor(['2026-02-31T05:44:04.123456Z AD', randomUUID()]),
    encodeCursor(['0000-01-01T00:00:00.000000Z AD', randomUUID()]),
    encodeCursor(['2026-11-29T05:44:04.123456Z', randomUUID()]),
    encodeCursor([true, '2026-11-29T05:44:04.123456Z AD', randomUUID()]),
    Buffer.from('{"a":1}').toString('base64url'),
    Buffer.from('\u0000\u0000').toString('base64url'),
  ];

  it('answers 400 for every forged cursor on every list, never 500', async () => {
    for (const list of lists) {
      for (const cursor of forged) {
        const res = await call('GET', `${list}?cursor=${encodeURIComponent(cursor)}`);
        expectProblem(res, 400, 'VALIDATION_FAILED');
      }
    }
    for (const cursor of [encodeCursor([-1]), encodeCursor([1.5]), encodeCursor(['10']), encodeCursor([1e12])]) {
      expectProblem(await call('GET', `/v1/events?q=IU&cursor=${cursor}`, undefined, null), 400, 'VALIDATION_FAILED');
    }
  });

  it('pages a dozen keyword mappings created in one instant one at a time, each exactly once', async () => {
    const tag = randomUUID().slice(0, 8);
    await t.db.query('DELETE FROM ticket.keyword_mappings');
    const inserted = await t.db.query<{ id: string; created_at: Date }>(
      `INSERT INTO ticket.keyword_mappings (korean, english)
       SELECT '가수' || i || '${tag}', 'singer' || i || '${tag}' FROM generate_series(1, 12) i RETURNING id, created_at`,
    );
    // One statement, one now(): all twelve share the timestamp to the microsecond.
    expect(new Set(inserted.rows.map((r) => r.created_at.getTime())).size).toBe(1);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call('GET', `/v1/keyword-mappings?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { data: Array<{ id: string }>; nextCursor: string | null };
      seen.push(...page.data.map((m) => m.id));
      cursor = page.nextCursor;
    } while (cursor && seen.length <= 12);
    expect(seen).toHaveLength(12);
    expect([...seen].sort()).toEqual(inserted.rows.map((r) => r.id).sort());
  });

  it('pages rows a microsecond apart across a millisecond boundary in order (news, pinned first)', async () => {
    await t.db.query('DELETE FROM ticket.news');
    // Created at 1.000999 s, 1.001000 s, 1.001001 s …: a millisecond cursor put the first two in one bucket.
    const inserted = await t.db.query<{ id: string }>(
      `INSERT INTO ticket.news (title, content, author, is_pinned, created_at)
       SELECT 'n' || i, 'c', 'TIKETI', i % 4 = 0, timestamptz '2026-11-29 05:00:01.000997+00' + i * interval '1 microsecond'
         FROM generate_series(1, 9) i RETURNING id`,
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call('GET', `/v1/news?limit=2${cursor ? `&cursor=${cursor}` : ''}`, undefined, null);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { data: Array<{ id: string; title: string }>; nextCursor: string | null };
      seen.push(...page.data.map((n) => n.title));
      cursor = page.nextCursor;
    } while (cursor && seen.length <= 9);
    expect(seen).toEqual(['n8', 'n4', 'n9', 'n7', 'n6', 'n5', 'n3', 'n2', 'n1']);
    expect(inserted.rows).toHaveLength(9);
  });
});

describe('event pages', () => {
  it('pages events at the edges of the calendar, and a microsecond apart, each exactly once', async () => {
    await t.db.query('DELETE FROM ticket.events');
    const dates = [
      '0001-01-01T00:00:00+15:59', // 1 BC in UTC
      '2027-03-01T19:00:00.000999Z',
      '2027-03-01T19:00:00.001Z',
      '2027-03-01T19:00:00.001001Z',
      '9999-12-31T23:00:00-15:00', // year 10000 in UTC
    ];
    for (const eventDate of dates) expect((await call('POST', '/v1/events', eventBody({ eventDate }))).statusCode).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call('GET', `/v1/events?limit=1${cursor ? `&cursor=${cursor}` : ''}`, undefined, null);
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json() as { data: Array<{ eventDate: string }>; nextCursor: string | null };
      seen.push(...page.data.map((e) => e.eventDate));
      cursor = page.nextCursor;
    } while (cursor && seen.length <= dates.length);
    expect(seen.map((d) => new Date(d).getTime())).toEqual(dates.map((d) => new Date(d).getTime()));
  });
});

describe('framework errors', () => {
  it('answers bad percent-encoding with MALFORMED_URL', async () => {
    const res = await rawRequest('GET /v1/events/%E0%A4%A HTTP/1.1');
    expectProblem({ ...res, statusCode: res.status }, 400, 'MALFORMED_URL');
  });

  it('answers an over-long path segment and an over-long request line with 414', async () => {
    const segment = await rawRequest(`GET /v1/events/${'a'.repeat(300)} HTTP/1.1`);
    expectProblem({ ...segment, statusCode: segment.status }, 414, 'URI_TOO_LONG');
    // A Toss payment key runs to 200 characters: it reaches its route (401 without a sign-in), never 414.
    const paymentKey = await t.app.inject({ method: 'POST', url: `/v1/payments/${'k'.repeat(200)}/cancel`, payload: { reason: 'x' } });
    expect(paymentKey.statusCode).toBe(401);
    const line = await rawRequest(`GET /v1/events?q=${'a'.repeat(20_000)} HTTP/1.1`);
    expectProblem({ ...line, statusCode: line.status }, 414, 'URI_TOO_LONG');
  });

  it('answers headers past the limit with 431', async () => {
    const headers = Array.from({ length: 40 }, (_, i) => `x-filler-${i}: ${'v'.repeat(500)}`).join('\r\n');
    const res = await rawRequest(`GET /v1/events HTTP/1.1\r\n${headers}`);
    expectProblem({ ...res, statusCode: res.status }, 431, 'HEADERS_TOO_LARGE');
  });

  it('answers a non-JSON body with 415 and a too-large one with 413, small and quick', async () => {
    const text = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/login',
      payload: 'email=a',
      headers: { 'content-type': 'text/plain' },
    });
    expectProblem(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
    // A 1 MB login body of 92,000 unknown keys is refused from its Content-Length.
    const keys = Object.fromEntries(Array.from({ length: 92_000 }, (_, i) => [`k${i}`, 1]));
    const big = await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'a@example.com', password: 'x', ...keys } });
    expect(big.body.length).toBeLessThan(1000);
    expectProblem(big, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('names one error, not thousands, for a body full of unknown keys', async () => {
    const keys = Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`k${i}`, 1]));
    const res = await call('POST', '/v1/keyword-mappings', { korean: '아이유', english: 'IU', ...keys });
    const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(problem.errors).toHaveLength(1);
    expect(res.body.length).toBeLessThan(1000);
  });

  it('answers undeclared methods on known paths with 405 and Allow', async () => {
    const del = await call('DELETE', '/v1/events');
    expectProblem(del, 405, 'METHOD_NOT_ALLOWED');
    expect(del.headers.allow).toBe('GET, HEAD, POST');
    const put = await call('PUT', `/v1/events/${randomUUID()}`);
    expectProblem(put, 405, 'METHOD_NOT_ALLOWED');
    expect(put.headers.allow).toBe('GET, HEAD, PATCH, DELETE');
    // QUERY carries a body: without a Content-Type it still answers about the route, not the body.
    const query = await rawRequest('QUERY /v1/events HTTP/1.1');
    expectProblem({ ...query, statusCode: query.status }, 405, 'METHOD_NOT_ALLOWED');
    expect(query.headers.allow).toBe('GET, HEAD, POST');
    // An unknown path stays a 404.
    expectProblem(await call('DELETE', '/v1/no-such-thing'), 404, 'NOT_FOUND');
  });
});

describe('database refusals', () => {
  it('maps integrity and data errors that slip past the schema to 4xx codes', async () => {
    const app = await buildApp({ config: t.config, db: t.db, shared: t.shared, logger: false });
    app.get('/test/bad-uuid', async () => t.db.query(`SELECT 'urn:uuid:x'::uuid`));
    app.get('/test/duplicate', async () => {
      await t.db.query(`INSERT INTO ticket.keyword_mappings (korean, english) VALUES ('중복', 'dup') ON CONFLICT DO NOTHING`);
      return t.db.query(`INSERT INTO ticket.keyword_mappings (korean, english) VALUES ('중복', 'dup')`);
    });
    app.get('/test/check', async () => t.db.query(`INSERT INTO ticket.keyword_mappings (korean, english) VALUES ('', 'x')`));
    await app.ready();
    try {
      const check = (res: LightMyRequestResponse, status: number, code: string) => expectProblem(res, status, code);
      check(await app.inject({ method: 'GET', url: '/test/bad-uuid' }), 400, 'VALIDATION_FAILED');
      check(await app.inject({ method: 'GET', url: '/test/duplicate' }), 409, 'CONFLICT');
      check(await app.inject({ method: 'GET', url: '/test/check' }), 400, 'VALIDATION_FAILED');
    } finally {
      await app.close();
    }
  });
});
