// Two API instances on one database and one Redis: holds from both, both sweepers running.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../../test/harness/app.js';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';
import { REALTIME_CHANNEL } from '../../api/src/realtime/bus.js';

const config = { RATE_LIMIT: 'off' as const, HOLD_TTL_SECONDS: 1, SWEEP_INTERVAL_MS: 100 };
let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  a = await createTestApp({ config });
  b = await createTestApp({ config, databaseUrl: a.databaseUrl, redisPrefix: a.config.REDIS_PREFIX });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe('several API instances', () => {
  it('never give a seat twice, and their sweepers expire each hold exactly once', async () => {
    const ev = await createEventFixture(a.db, {
      sections: [{ name: 'A', rows: 2, seatsPerRow: 30, price: 10_000 }],
      generalAdmission: [{ name: 'Standing', quantity: 500, price: 5_000 }],
    });
    const seats = ev.seats.A!;
    const users = await createUsers(a, 150);
    const versions: number[] = [];
    await a.shared.subscribe(REALTIME_CHANNEL, (raw) => {
      const { message } = JSON.parse(raw) as { message: { type: string; eventId: string; version: number } };
      // Seat versions only: general-admission `availability` messages have their own sequence.
      if (message.eventId === ev.eventId && message.type.startsWith('seat.')) versions.push(message.version);
    });

    const answers = await Promise.all(
      users.map((u, i) => {
        const app = i % 2 ? a.app : b.app;
        const j = Math.floor(Math.random() * (seats.length - 1));
        const payload =
          i % 3 === 0 ? { items: [{ ticketTypeId: ev.gaTypes.Standing, quantity: 2 }] } : { seatIds: [seats[j], seats[j + 1]] };
        return app.inject({ method: 'POST', url: `/v1/events/${ev.eventId}/holds`, payload, headers: bearer(u.token) });
      }),
    );
    expect(answers.every((r) => r.statusCode === 201 || (r.statusCode === 409 && r.json().code === 'SEAT_UNAVAILABLE'))).toBe(true);
    const won = answers.filter((r) => r.statusCode === 201).flatMap((r) => (r.json().seats as Array<{ id: string }>).map((s) => s.id));
    expect(new Set(won).size).toBe(won.length);
    const { rows: gaHeld } = await a.db.query(`SELECT available_quantity FROM ticket.ticket_types WHERE id = $1`, [ev.gaTypes.Standing]);
    expect(gaHeld[0].available_quantity).toBe(500 - 2 * 50);

    // Both sweepers run; every hold must end expired once, quantities restored exactly once.
    const deadline = Date.now() + 10_000;
    let state: { active: number; expired: number; taken: number; available: number } | undefined;
    while (Date.now() < deadline) {
      const { rows } = await a.db.query(
        `SELECT (SELECT count(*) FROM ticket.holds WHERE event_id = $1 AND status = 'active')::int AS active,
                (SELECT count(*) FROM ticket.holds WHERE event_id = $1 AND status = 'expired')::int AS expired,
                (SELECT count(*) FROM ticket.seats WHERE event_id = $1 AND status <> 'available')::int AS taken,
                (SELECT available_quantity FROM ticket.ticket_types WHERE id = $2) AS available`,
        [ev.eventId, ev.gaTypes.Standing],
      );
      state = rows[0];
      if (state!.active === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(state).toEqual({ active: 0, expired: answers.filter((r) => r.statusCode === 201).length, taken: 0, available: 500 });
    const { rows } = await a.db.query('SELECT seat_version FROM ticket.events WHERE id = $1', [ev.eventId]);
    for (let i = 0; i < 30 && versions.length < rows[0].seat_version; i++) await new Promise((r) => setTimeout(r, 100));
    expect([...versions].sort((x, y) => x - y)).toEqual(Array.from({ length: rows[0].seat_version }, (_, i) => i + 1));
  });
});
