// The live channel at its edges: connection caps (process, piped, per IP, per user) and the
// fallback transport, each with the API still answering HTTP.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, createTestDatabase, registerUser, type TestApp } from '../../test/harness/app.js';
import { createEventFixture } from '../../test/harness/fixtures.js';
import { startServerProcess } from '../../test/harness/server-process.js';
import { UpgradeRefused, wsConnect, type WsClient } from '../../test/harness/ws-client.js';
import WebSocket from 'ws';
import { defaultConnectionCaps, openFileLimit } from '../src/realtime/limits.js';
import { createRealtimePublisher } from '../src/realtime/bus.js';

const CAP = 50;

describe('default caps', () => {
  it('reads the soft open-file limit and stays below it, pipe sockets counted three times', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'limits-'));
    const file = path.join(dir, 'limits');
    writeFileSync(
      file,
      'Limit                     Soft Limit           Hard Limit           Units\nMax open files            20000                524288               files\n',
    );
    expect(openFileLimit(file)).toBe(20000);
    writeFileSync(file, 'Max open files            unlimited            unlimited            files\n');
    expect(openFileLimit(file)).toBeUndefined();
    rmSync(dir, { recursive: true, force: true });
    for (const limit of [1024, 20000, 1_048_576]) {
      const caps = defaultConnectionCaps(limit);
      expect(caps.maxConnections + 2 * caps.maxPipedConnections).toBeLessThanOrEqual(limit - 256);
      expect(caps.maxConnections).toBeGreaterThan(limit / 2);
    }
    expect(defaultConnectionCaps(20000)).toEqual({ maxConnections: 14400, maxPipedConnections: 1800 });
  });
});
const attempt = (url: string) =>
  wsConnect(url).then(
    (c) => ({ ok: true as const, c }),
    (e: unknown) => ({ ok: false as const, status: (e as UpgradeRefused).status, body: (e as UpgradeRefused).body }),
  );
const closeAll = async (clients: WsClient[]) => {
  for (const c of clients) c.ws.close();
  await Promise.all(clients.map((c) => c.closed));
};

describe('connection caps', () => {
  let t: TestApp;
  let rtUrl: string;
  beforeAll(async () => {
    t = await createTestApp({
      listen: true,
      realtime: { limits: { maxConnections: CAP, maxPipedConnections: 3, maxConnectionsPerUser: 2, maxConnectionsPerIp: 1000 } },
    });
    rtUrl = `ws://127.0.0.1:${t.realtime!.port}/v1/realtime`;
  });
  afterAll(async () => t?.close());

  it('refuses upgrades past the cap at once with 503, keeps serving HTTP and holds, and accepts again after some close', async () => {
    const results = await Promise.all(Array.from({ length: CAP + 15 }, () => attempt(rtUrl)));
    const open = results.flatMap((r) => (r.ok ? [r.c] : []));
    const refused = results.filter((r) => !r.ok);
    expect(open).toHaveLength(CAP);
    expect(refused).toHaveLength(15);
    for (const r of refused) {
      expect(r.status).toBe(503);
      expect(JSON.parse(r.body)).toMatchObject({ code: 'REALTIME_CAPACITY_REACHED' });
    }
    expect(t.realtime!.connections).toBe(CAP);

    // The API answers while the channel is full: health, and a hold whose change reaches a socket.
    expect((await fetch(`${t.baseUrl}/health`)).status).toBe(200);
    const event = await createEventFixture(t.db, { sections: [{ name: 'A', rows: 1, seatsPerRow: 4, price: 1000 }] });
    const watcher = open[0]!;
    watcher.send({ op: 'subscribe', topic: `event.${event.eventId}.seats` });
    await watcher.next((m) => m.type === 'subscribed');
    const user = await registerUser(t.app);
    const hold = await fetch(`${t.baseUrl}/v1/events/${event.eventId}/holds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ seatIds: [event.seats.A![0]] }),
    });
    expect(hold.status).toBe(201);
    expect(await watcher.next((m) => m.type === 'seat.held')).toMatchObject({ seatIds: [event.seats.A![0]] });

    // The API port refuses too, before piping anything.
    const piped = await attempt(`${t.baseUrl.replace('http', 'ws')}/v1/realtime`);
    expect(piped).toMatchObject({ ok: false, status: 503 });

    // Five leave: five more get in, the next is refused again.
    await closeAll(open.splice(0, 5));
    const again = await Promise.all(Array.from({ length: 6 }, () => attempt(rtUrl)));
    expect(again.filter((r) => r.ok)).toHaveLength(5);
    expect(again.filter((r) => !r.ok)).toEqual([expect.objectContaining({ status: 503 })]);
    await closeAll([...open, ...again.flatMap((r) => (r.ok ? [r.c] : []))]);
    expect(t.realtime!.connections).toBe(0);
  });

  it('caps sockets through the API-port pipe separately', async () => {
    const apiUrl = `${t.baseUrl.replace('http', 'ws')}/v1/realtime`;
    const results = await Promise.all(Array.from({ length: 5 }, () => attempt(apiUrl)));
    const open = results.flatMap((r) => (r.ok ? [r.c] : []));
    expect(open).toHaveLength(3);
    expect(results.filter((r) => !r.ok).map((r) => (r.ok ? 0 : r.status))).toEqual([503, 503]);
    // The realtime port still has room.
    const direct = await wsConnect(rtUrl);
    await closeAll([...open, direct]);
  });

  it('caps sockets per user (429), counting both ways of signing in', async () => {
    const user = await registerUser(t.app);
    const other = await registerUser(t.app);
    const first = await wsConnect(`${rtUrl}?token=${user.token}`);
    const ticket = await t.app.inject({ method: 'POST', url: '/v1/realtime/tickets', headers: { authorization: `Bearer ${user.token}` } });
    const second = await wsConnect(`${rtUrl}?ticket=${ticket.json().ticket}`);
    const third = await attempt(`${rtUrl}?token=${user.token}`);
    expect(third).toMatchObject({ ok: false, status: 429 });
    expect(JSON.parse((third as { body: string }).body)).toMatchObject({ code: 'RATE_LIMITED' });
    const someoneElse = await wsConnect(`${rtUrl}?token=${other.token}`);
    await closeAll([first]);
    const fourth = await wsConnect(`${rtUrl}?token=${user.token}`);
    await closeAll([second, fourth, someoneElse]);
  });
});

describe('per-IP cap behind a trusted proxy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ listen: true, realtime: { limits: { maxConnectionsPerIp: 3, trustedProxyHops: 1 } } });
  });
  afterAll(async () => t?.close());

  it('counts the address the proxy saw, and refuses the fourth from one address with 429', async () => {
    const url = `ws://127.0.0.1:${t.realtime!.port}/v1/realtime`;
    // The proxy appends the peer it saw; what the client wrote before it is not trusted.
    const from = (ip: string, spoof = randomUUID()) =>
      new Promise<{ ok: boolean; status?: number; ws: InstanceType<typeof WebSocket> }>((resolve) => {
        const ws = new WebSocket(url, { headers: { 'x-forwarded-for': `${spoof}, ${ip}` } });
        ws.once('open', () => resolve({ ok: true, ws }));
        ws.once('unexpected-response', (_req, res) => resolve({ ok: false, status: res.statusCode, ws }));
      });
    const sockets = [await from('10.0.0.1'), await from('10.0.0.1'), await from('10.0.0.1')];
    expect(sockets.every((s) => s.ok)).toBe(true);
    expect(await from('10.0.0.1')).toMatchObject({ ok: false, status: 429 });
    const elsewhere = await from('10.0.0.2');
    expect(elsewhere.ok).toBe(true);
    for (const s of [...sockets, elsewhere]) s.ws.close();
  });
});

describe('fallback transport (the uWebSockets.js shim)', () => {
  it('serves the channel on the `ws` package: subscribe, receive, bounds', async () => {
    const t = await createTestApp({ listen: true, realtime: { transport: 'shim', limits: { maxConnections: 3, maxTopicsPerSocket: 1 } } });
    try {
      expect(t.realtime!.transport).toBe('shim');
      const eventId = (await createEventFixture(t.db)).eventId;
      const url = `ws://127.0.0.1:${t.realtime!.port}/v1/realtime`;
      const c = await wsConnect(url);
      c.send({ op: 'subscribe', topic: `event.${randomUUID()}.seats` });
      c.send({ op: 'subscribe', topic: `event.${eventId}.seats` });
      c.send({ op: 'subscribe', topic: `event.${eventId}.seats` });
      await c.next((m) => m.type === 'subscribed');
      await createRealtimePublisher(t.shared).seatsChanged(eventId, 'seat.held', ['s'], 4);
      expect(await c.next((m) => m.type === 'seat.held')).toMatchObject({ eventId, version: 4 });
      expect(c.messages[0]).toMatchObject({ code: 'EVENT_NOT_FOUND' });

      // Through the API port as well, and the cap holds.
      const piped = await wsConnect(`${t.baseUrl.replace('http', 'ws')}/v1/realtime`);
      const third = await wsConnect(url);
      expect(await attempt(url)).toMatchObject({ ok: false, status: 503 });
      const bad = await attempt(`${url}?token=nope`);
      expect(bad).toMatchObject({ ok: false });
      await closeAll([c, piped, third]);
      const user = await registerUser(t.app);
      const ticket = await t.app.inject({
        method: 'POST',
        url: '/v1/realtime/tickets',
        headers: { authorization: `Bearer ${user.token}` },
      });
      const signedIn = await wsConnect(`${url}?ticket=${ticket.json().ticket}`);
      signedIn.send({ op: 'subscribe', topic: `queue.${eventId}` });
      await signedIn.next((m) => m.type === 'subscribed');
      await closeAll([signedIn]);
    } finally {
      await t.close();
    }
  });

  it('keeps `npm start` up with UWS_USE_FALLBACK=true when a WebSocket connects', async () => {
    const env = { UWS_USE_FALLBACK: 'true', TIKETI_SEED: 'none', DATABASE_URL: await createTestDatabase(), REDIS_URL: undefined };
    const server = await startServerProcess(env, 90_000);
    try {
      const c = await wsConnect(`ws://127.0.0.1:${server.realtimePort}/v1/realtime`);
      c.send({ op: 'ping' });
      await c.next((m) => m.type === 'pong');
      const viaApi = await wsConnect(`${server.baseUrl.replace('http', 'ws')}/v1/realtime`);
      viaApi.send({ op: 'ping' });
      await viaApi.next((m) => m.type === 'pong');
      await closeAll([c, viaApi]);
      expect((await fetch(`${server.baseUrl}/health`)).status).toBe(200);
      expect(server.child.exitCode).toBeNull();
      expect(server.lines.join('\n')).toContain('"transport":"shim"');
    } finally {
      await server.stop();
    }
  });
});
