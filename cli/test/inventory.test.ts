// `seats map` and `reservations` through the built `tiketi` against a live API: the map follows
// holds and cancels, and an admin lists, reads and cancels reservations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createAdmin, createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';
import { resultOf, runCli, startCli, tempConfigHome, type CliRun } from './run-cli.js';

let t: TestApp;
let env: Record<string, string>;
const ok = (run: CliRun) => {
  expect(run.stderr, run.stdout).toBe('');
  expect(run.code).toBe(0);
  return resultOf(run) as Record<string, unknown> & { id: string };
};

interface SeatMapJson {
  version: number;
  counts: { available: number; held: number; sold: number; total: number };
  sections: { name: string; available: number; held: number }[];
  seats: { id: string; section: string; row: string; status: string }[];
}

describe('seat map and reservations against a live API', { timeout: 180_000 }, () => {
  let eventId: string;
  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    const admin = await createAdmin(t);
    env = { XDG_CONFIG_HOME: tempConfigHome() };
    ok(await runCli(['login', '-e', admin.email, '-p', admin.password, '--api-url', t.baseUrl, '--json'], env));
    const layout = ok(
      await runCli(
        [
          'seat-layouts',
          'create',
          '--data',
          '{ name: Map Hall, sections: [{ name: VIP, ticketType: VIP, price: 1000, rows: 2, seatsPerRow: 5 }, { name: R, ticketType: R, price: 500, rows: 1, seatsPerRow: 4 }] }',
          '--json',
        ],
        env,
      ),
    );
    const event = ok(
      await runCli(
        [
          'events',
          'create',
          '--data',
          JSON.stringify({
            title: 'Map Night',
            venue: 'Hall',
            eventDate: '2027-07-01T10:00:00Z',
            seatLayoutId: layout.id,
            status: 'on_sale',
          }),
          '--json',
        ],
        env,
      ),
    );
    eventId = event.id;
  });
  afterAll(async () => t?.close());

  it('draws the map with every seat available, then shows a hold, and the reservation through list, get and cancel', async () => {
    const fresh = ok(await runCli(['seats', 'map', eventId, '--json'], env)) as unknown as SeatMapJson;
    expect(fresh.counts).toEqual({ available: 14, held: 0, sold: 0, total: 14 });
    expect(fresh.sections.map((s) => s.name).sort()).toEqual(['R', 'VIP']);

    // A shopper holds two VIP seats and reserves them.
    const user = await registerUser(t.app);
    const vip = fresh.seats.filter((s) => s.section === 'VIP').slice(0, 2);
    const hold = await t.app.inject({
      method: 'POST',
      url: `/v1/events/${eventId}/holds`,
      headers: bearer(user.token),
      payload: { seatIds: vip.map((s) => s.id) },
    });
    expect(hold.statusCode).toBe(201);

    const held = ok(await runCli(['seats', 'map', eventId, '--json'], env)) as unknown as SeatMapJson;
    expect(held.counts).toMatchObject({ available: 12, held: 2 });
    expect(held.version).toBeGreaterThan(fresh.version);
    expect(
      held.seats
        .filter((s) => s.status === 'held')
        .map((s) => s.id)
        .sort(),
    ).toEqual(vip.map((s) => s.id).sort());

    const drawn = await runCli(['seats', 'map', eventId, '--ascii'], env);
    expect(drawn.code).toBe(0);
    expect(drawn.stdout).toContain('. available 12   h held 2   X sold 0');
    expect(drawn.stdout).toMatch(/^\s+A\s+hh\.\.\.$/m); // row A of VIP: two held, three free
    const vipOnly = ok(await runCli(['seats', 'map', eventId, '--section', 'VIP', '--json'], env)) as unknown as SeatMapJson;
    expect(vipOnly.counts.total).toBe(10);

    const reservation = await t.app.inject({
      method: 'POST',
      url: '/v1/reservations',
      headers: bearer(user.token),
      payload: { holdId: hold.json().id },
    });
    expect(reservation.statusCode).toBe(201);
    const reservationId = reservation.json().id as string;

    const listed = ok(await runCli(['reservations', 'list', '--event', eventId, '--json'], env)) as unknown as {
      data: { id: string; status: string }[];
    };
    expect(listed.data).toEqual([expect.objectContaining({ id: reservationId, status: 'pending' })]);
    const table = await runCli(['reservations', 'list', '--event', eventId], env);
    expect(table.stdout).toContain(reservation.json().number);
    expect(ok(await runCli(['reservations', 'get', reservationId, '--json'], env))).toMatchObject({
      id: reservationId,
      status: 'pending',
      totalAmount: 2000,
    });

    const cancelled = ok(await runCli(['reservations', 'cancel', '--yes', reservationId, '--reason', 'customer asked', '--json'], env));
    expect(cancelled).toMatchObject({ id: reservationId, status: 'cancelled' });
    const freed = ok(await runCli(['seats', 'map', eventId, '--json'], env)) as unknown as SeatMapJson;
    expect(freed.counts).toMatchObject({ available: 14, held: 0 });

    const unknown = await runCli(['reservations', 'cancel', '--yes', '00000000-0000-4000-8000-000000000000', '--json'], env);
    expect(unknown.code).toBe(5);
    expect(unknown.json).toMatchObject({ code: 'RESERVATION_NOT_FOUND', exitCode: 5 });
  });

  it('--watch redraws the map when seats change, from the realtime channel', async () => {
    const watcher = startCli(['seats', 'map', eventId, '--watch', '--ascii', '--realtime-url', `ws://127.0.0.1:${t.realtime!.port}`], env);
    try {
      await watcher.waitFor(/Watching for seat changes/, 'stderr');
      const before = ok(await runCli(['seats', 'map', eventId, '--json'], env)) as unknown as SeatMapJson;
      const user = await registerUser(t.app);
      const free = before.seats.filter((s) => s.status === 'available' && s.section === 'R').slice(0, 2);
      const hold = await t.app.inject({
        method: 'POST',
        url: `/v1/events/${eventId}/holds`,
        headers: bearer(user.token),
        payload: { seatIds: free.map((s) => s.id) },
      });
      expect(hold.statusCode).toBe(201);
      await watcher.waitFor(new RegExp(`--- version ${before.version + 1}[\\s\\S]*h held ${before.counts.held + 2}`));
      await t.app.inject({ method: 'DELETE', url: `/v1/holds/${hold.json().id}`, headers: bearer(user.token) });
      await watcher.waitFor(new RegExp(`--- version ${before.version + 2}[\\s\\S]*h held ${before.counts.held}\\b`));
    } finally {
      expect(await watcher.stop()).toBe(0);
    }
  });

  it('answers an unknown event with the not-found exit code', async () => {
    const res = await runCli(['seats', 'map', '00000000-0000-4000-8000-000000000000', '--json'], env);
    expect(res.code).toBe(5);
    expect(res.json).toMatchObject({ code: 'EVENT_NOT_FOUND', exitCode: 5 });
  });
});
