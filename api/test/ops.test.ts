import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/harness/app.js';
import { loadConfig } from '../src/config.js';
import { realtimeTransport } from '../src/realtime/server.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

describe('ops routes', () => {
  it('answers /health and /ready with PostgreSQL and Redis checked', async () => {
    expect((await t.app.inject('/health')).json()).toMatchObject({ status: 'ok' });
    const ready = await t.app.inject('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: { postgres: { status: 'ok' }, redis: { status: 'ok', kind: 'redis' }, realtime: { status: 'ok', kind: realtimeTransport } },
    });
  });

  it('reports 503 on /ready when PostgreSQL is unreachable', async () => {
    const broken = await createTestApp({ databaseUrl: 'postgres://nobody:x@127.0.0.1:1/none' });
    try {
      const ready = await broken.app.inject('/ready');
      expect(ready.statusCode).toBe(503);
      expect(ready.json().checks.postgres.status).toBe('down');
    } finally {
      await broken.close();
    }
  });

  it('exposes request count and latency by route and status on /metrics', async () => {
    await t.app.inject('/health');
    await t.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email: 'a@b.co', password: 'nope-nope' } });
    const res = await t.app.inject('/metrics');
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toMatch(/http_requests_total\{method="GET",route="\/health",status_code="200"\} [1-9]/);
    expect(res.body).toMatch(/http_requests_total\{method="POST",route="\/v1\/auth\/login",status_code="401"\} 1/);
    expect(res.body).toContain('http_request_duration_seconds_bucket');
    expect(res.body).toMatch(/pg_pool_connections\{state="total"\}/);
    expect(res.body).toContain('process_resident_memory_bytes');
    // Which WebSocket transport runs (native uWebSockets.js or the ws shim) is visible to monitoring.
    expect(res.body).toContain(`tiketi_realtime_transport{transport="${realtimeTransport}"} 1`);
  });

  it('serves /openapi.json equal to the committed openapi/openapi.json apart from servers', async () => {
    const served = (await t.app.inject('/openapi.json')).json();
    const committed = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'));
    delete served.servers;
    delete committed.servers;
    expect(served).toEqual(committed);
  });

  it('serves the interactive reference at /docs', async () => {
    const res = await t.app.inject('/docs/');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('swagger-ui');
  });

  it('echoes a given X-Request-Id and generates one otherwise', async () => {
    const given = await t.app.inject({ url: '/health', headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await t.app.inject({ url: '/v1/nope' });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(made.statusCode).toBe(404);
    expect(made.json()).toMatchObject({ code: 'NOT_FOUND', requestId: made.headers['x-request-id'] });
  });

  it('sends security headers and CORS', async () => {
    const res = await t.app.inject({ url: '/health', headers: { origin: 'https://shop.example' } });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['strict-transport-security']).toContain('max-age=');
    expect(res.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(res.headers['access-control-expose-headers']).toContain('x-request-id');
    expect(res.headers.vary).toContain('Origin');
  });

  it('answers CORS preflights for every method a storefront uses, and only for the allowed origins', async () => {
    const preflight = (app: TestApp['app'], origin: string) =>
      app.inject({
        method: 'OPTIONS',
        url: '/v1/holds/00000000-0000-4000-8000-000000000000',
        headers: { origin, 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization, content-type' },
      });
    const open = await preflight(t.app, 'https://shop.example');
    expect(open.statusCode).toBe(204);
    expect(open.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(open.headers['access-control-allow-methods']).toContain('DELETE');
    expect(open.headers['access-control-allow-headers']).toBe('authorization, content-type');
    const notPreflight = await t.app.inject({ method: 'OPTIONS', url: '/health' });
    expect([notPreflight.statusCode, notPreflight.json().code]).toEqual([400, 'VALIDATION_FAILED']);

    const listed = await createTestApp({ config: { CORS_ORIGINS: 'https://shop.example, https://tickets.example' } });
    try {
      expect((await preflight(listed.app, 'https://tickets.example')).headers['access-control-allow-origin']).toBe(
        'https://tickets.example',
      );
      const stranger = await preflight(listed.app, 'https://evil.example');
      expect(stranger.statusCode).toBe(204);
      expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
      expect(stranger.headers['access-control-allow-methods']).toBeUndefined();
      const get = await listed.app.inject({ url: '/health', headers: { origin: 'https://evil.example' } });
      expect(get.statusCode).toBe(200);
      expect(get.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await listed.close();
    }
  });

  it('runs the realtime channel on the native uWebSockets.js build, not its ws shim', () => {
    expect(realtimeTransport).toBe('native');
  });
});

describe('configuration', () => {
  it('stops with a message naming the bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ RATE_LIMIT: 'sometimes' })).toThrow(/RATE_LIMIT/);
    expect(() => loadConfig({ JWT_EXPIRES_IN: 'forever' })).toThrow(/JWT_EXPIRES_IN/);
    expect(loadConfig({ PORT: '8080' }).PORT).toBe(8080);
  });
});

describe('rate limiting', () => {
  it('answers 429 RATE_LIMITED with Retry-After, counted across instances through Redis', async () => {
    const prefix = `rl-${Date.now()}:`;
    const config = { RATE_LIMIT_MAX: 3, RATE_LIMIT_WINDOW_MS: 60_000 };
    const a = await createTestApp({ config, redisPrefix: prefix });
    const b = await createTestApp({ config, redisPrefix: prefix, databaseUrl: a.databaseUrl });
    try {
      const statuses = [];
      for (const app of [a.app, b.app, a.app, b.app]) statuses.push((await app.inject('/v1/auth/me')).statusCode);
      expect(statuses).toEqual([401, 401, 401, 429]);
      const limited = await a.app.inject('/v1/auth/me');
      expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Ops routes stay reachable for probes.
      expect((await a.app.inject('/health')).statusCode).toBe(200);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('can be switched off for load tests', async () => {
    const off = await createTestApp({ state: 'memory', config: { RATE_LIMIT: 'off', RATE_LIMIT_MAX: 1 } });
    try {
      for (let i = 0; i < 5; i++) expect((await off.app.inject('/v1/auth/me')).statusCode).toBe(401);
    } finally {
      await off.close();
    }
  });
});
