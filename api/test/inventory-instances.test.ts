// Two API instances on one database and one Redis: holds from both, both sweepers running.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createTestApp, type TestApp } from '../../test/harness/app.js';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';
import { seededRandom } from '../../test/harness/random.js';
import { busBarrier, eventually } from '../../test/harness/wait.js';
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

    const rnd = seededRandom();
    const answers = await Promise.all(
      users.map((u, i) => {
        const app = i % 2 ? a.app : b.app;
        const j = rnd.int(seats.length - 1);
        const payload =
          i % 3 === 0 ? { items: [{ ticketTypeId: ev.gaTypes.Standing, quantity: 2 }] } : { seatIds: [seats[j], seats[j + 1]] };
        return app.inject({ method: 'POST', url: `/v1/events/${ev.eventId}/holds`, payload, headers: bearer(u.token) });
      }),
    );
    expect(answers.every((r) => r.statusCode === 201 || (r.statusCode === 409 && r.json().code === 'SEAT_UNAVAILABLE'))).toBe(true);
    // No seat in two holds whose lifetimes overlap. Holds live 1 s here, so on a slow machine a seat
    // may be won again once the first hold has expired: that is not a double hold.
    const { rows: doubles } = await a.db.query(
      `WITH x AS (SELECT id, unnest(seat_ids) AS sid, created_at, expires_at FROM ticket.holds WHERE event_id = $1)
       SELECT a.sid FROM x a JOIN x b ON a.sid = b.sid AND a.id < b.id WHERE a.created_at < b.expires_at AND b.created_at < a.expires_at`,
      [ev.eventId],
    );
    expect(doubles).toEqual([]);
    // Every general-admission request (one in three, 2 tickets each, 500 on sale) was granted, and
    // what is available plus what active holds keep is the total, whatever the sweepers did meanwhile.
    expect(answers.filter((r, i) => i % 3 === 0 && r.statusCode === 201)).toHaveLength(50);
    const { rows: ga } = await a.db.query(
      `SELECT t.available_quantity + (SELECT coalesce(sum(hi.quantity), 0) FROM ticket.hold_items hi JOIN ticket.holds h ON h.id = hi.hold_id
                                       WHERE hi.ticket_type_id = t.id AND h.status = 'active')::int AS total
         FROM ticket.ticket_types t WHERE t.id = $1`,
      [ev.gaTypes.Standing],
    );
    expect(ga[0].total).toBe(500);

    // Both sweepers run; every hold must end expired once, quantities restored exactly once.
    // Polled until no hold is active (the test's timeout is the only bound).
    const state = await eventually(async () => {
      const { rows } = await a.db.query<{ active: number; expired: number; taken: number; available: number }>(
        `SELECT (SELECT count(*) FROM ticket.holds WHERE event_id = $1 AND status = 'active')::int AS active,
                (SELECT count(*) FROM ticket.holds WHERE event_id = $1 AND status = 'expired')::int AS expired,
                (SELECT count(*) FROM ticket.seats WHERE event_id = $1 AND status <> 'available')::int AS taken,
                (SELECT available_quantity FROM ticket.ticket_types WHERE id = $2) AS available`,
        [ev.eventId, ev.gaTypes.Standing],
      );
      return rows[0]!.active === 0 && rows[0]!;
    });
    expect(state).toEqual({ active: 0, expired: answers.filter((r) => r.statusCode === 201).length, taken: 0, available: 500 });
    const { rows } = await a.db.query('SELECT seat_version FROM ticket.events WHERE id = $1', [ev.eventId]);
    await busBarrier(a.shared, a.shared, b.shared); // every change either instance published has arrived
    expect([...versions].sort((x, y) => x - y)).toEqual(Array.from({ length: rows[0].seat_version }, (_, i) => i + 1));
  });
});
