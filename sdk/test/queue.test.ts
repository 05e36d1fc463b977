// The SDK's waiting room against a real API server (HTTP, realtime, PostgreSQL and Redis).
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, createTestApp, type TestApp } from '../../test/harness/app.js';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';
import { PermissionError, Tiketi, type WebSocketConstructor } from '../src/index.js';

let t: TestApp;
let admin: Tiketi;
const clientFor = (token: string) =>
  new Tiketi({
    baseUrl: t.baseUrl,
    realtimeUrl: `ws://127.0.0.1:${t.realtime!.port}`,
    token,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  });
beforeAll(async () => {
  t = await createTestApp({ listen: true, config: { RATE_LIMIT: 'off' } });
  admin = clientFor((await createAdmin(t)).token);
});
afterAll(async () => t?.close());

describe('queue', () => {
  it('waits in line over the realtime channel, resolves with the admission, and holds carry it', async () => {
    const ev = await createEventFixture(t.db, { generalAdmission: [{ name: 'Standing', quantity: 20, price: 10_000 }] });
    const settings = await admin.queue.updateSettings(ev.eventId, { enabled: true, paused: true });
    expect(settings).toMatchObject({ enabled: true, paused: true });
    const [first, me] = (await createUsers(t, 2)).map((u) => clientFor(u.token));
    await first!.queue.join(ev.eventId);

    const ga = { items: [{ ticketTypeId: ev.gaTypes.Standing!, quantity: 1 }] };
    const refused = await me!.holds.create(ev.eventId, ga).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PermissionError);
    expect(refused).toMatchObject({ code: 'QUEUE_ADMISSION_REQUIRED' });

    const positions: number[] = [];
    const waiting = me!.queue.waitForAdmission(ev.eventId, { onPosition: (p) => positions.push(p.position) });
    // The join answered position 2; then the admin lets two in, one at a time.
    await expect.poll(() => positions[0]).toBe(2);
    expect((await me!.queue.me(ev.eventId)).position).toBe(2);
    await admin.queue.admit(ev.eventId, 1);
    await expect.poll(() => positions.at(-1), { timeout: 5000 }).toBe(1);
    expect((await admin.queue.admit(ev.eventId, 1)).admitted).toBe(1);
    const admission = await waiting;
    expect(admission).toMatchObject({ token: expect.any(String), expiresAt: expect.any(String) });
    expect(me!.queue.admission(ev.eventId)?.token).toBe(admission!.token);

    // No token passed: the client sends its admission by itself.
    const hold = await me!.holds.create(ev.eventId, ga);
    expect(hold.items).toEqual([expect.objectContaining({ ticketTypeId: ev.gaTypes.Standing, quantity: 1 })]);
    await me!.holds.release(hold.id);
    for (const c of [first!, me!]) c.realtime.close();
  });

  it('resolves with null when the event has no waiting room, and leaves', async () => {
    const ev = await createEventFixture(t.db);
    const [u] = (await createUsers(t, 1)).map((x) => clientFor(x.token));
    expect(await u!.queue.waitForAdmission(ev.eventId)).toBeNull();
    await admin.queue.updateSettings(ev.eventId, { enabled: true, paused: true });
    expect(await u!.queue.join(ev.eventId)).toMatchObject({ status: 'waiting', position: 1, ahead: 0 });
    expect((await admin.queue.settings(ev.eventId)).waiting).toBe(1);
    await u!.queue.leave(ev.eventId);
    expect((await u!.queue.settings(ev.eventId)).waiting).toBe(0);
  });
});
