// The read path under a storm: the event page and the seat map, while writers hold and release
// seats so the map keeps changing (the snapshot's version must never go back for one reader).
//
// Environment (defaults: full / smoke):
//   READ_RATE       readers per second (event page + seat map each)   200 / 20
//   READ_SECONDS    seconds                                            30 / 3
//   READ_SEATS      seats of the event (rows of 100)                   2000 / 200
//   READ_WRITE_RATE hold + release per second                          20 / 5
import type { Scenario, TestUser } from './adapter.ts';
import {
  PROMISE_COUNTERS,
  call,
  adminToken,
  baseThresholds,
  latency,
  createEvent,
  isSmoke,
  num,
  seeded,
  type CreatedEvent,
  type Env,
} from './common.ts';

export interface ReadStormData {
  event: CreatedEvent;
  writers: TestUser[];
  seed: number;
}

function settings(env: Env) {
  const smoke = isSmoke(env);
  const writeRate = num(env, 'READ_WRITE_RATE', smoke ? 5 : 20);
  const seconds = num(env, 'READ_SECONDS', smoke ? 3 : 30);
  return {
    rate: num(env, 'READ_RATE', smoke ? 20 : 200),
    seconds,
    seats: num(env, 'READ_SEATS', smoke ? 200 : 2000),
    writeRate,
    writers: writeRate * seconds,
  };
}

export const readStorm: Scenario<ReadStormData> = {
  name: 'read-storm',
  description: 'event page and seat map reads while seats change',
  trends: ['step_event', 'step_seat_map', 'step_hold', 'step_release'],
  counters: ['seat_changes', ...PROMISE_COUNTERS],

  phases(env) {
    const s = settings(env);
    return {
      readers: {
        exec: 'reader',
        executor: 'constant-arrival-rate',
        rate: s.rate,
        duration: s.seconds,
        maxVUs: Math.max(50, s.rate * 5),
        gracefulStop: 30,
      },
      writers: {
        exec: 'writer',
        executor: 'constant-arrival-rate',
        rate: s.writeRate,
        duration: s.seconds,
        maxVUs: Math.max(20, s.writeRate * 5),
        gracefulStop: 30,
      },
    };
  },

  thresholds(env) {
    return {
      ...baseThresholds(),
      step_event: latency(env, 500, 1500),
      step_seat_map: latency(env, 1000, 3000),
      seat_changes: ['count>0'],
    };
  },

  async setup(ctx, provision) {
    const s = settings(ctx.env);
    const admin = await adminToken(ctx);
    const seatsPerRow = Math.min(100, s.seats);
    const event = await createEvent(ctx, admin, 'read-storm', { rows: Math.ceil(s.seats / seatsPerRow), seatsPerRow });
    const writers = await provision.users(ctx, s.writers);
    return { event, writers, seed: num(ctx.env, 'LOADTEST_SEED', Math.floor(Math.random() * 2 ** 31)) };
  },

  steps: {
    async reader(ctx, data) {
      const page = await call(ctx, { method: 'GET', path: `/v1/events/${data.event.eventId}`, step: 'event' });
      ctx.check('event page 200', page.status === 200);
      const first = await call(ctx, { method: 'GET', path: `/v1/events/${data.event.eventId}/seats`, step: 'seat_map' });
      if (!ctx.check('seat map 200', first.status === 200)) return;
      ctx.check(
        'seat map has every seat',
        Array.isArray(first.body.seats) && (first.body.seats as unknown[]).length === data.event.seatIds.length,
      );
      await ctx.sleep(0.5);
      const again = await call(ctx, { method: 'GET', path: `/v1/events/${data.event.eventId}/seats`, step: 'seat_map' });
      if (ctx.check('seat map 200', again.status === 200))
        ctx.check('seat map version never goes back', Number(again.body.version) >= Number(first.body.version));
    },
    async writer(ctx, data) {
      const user = data.writers[ctx.iteration % data.writers.length]!;
      const random = seeded(data.seed + ctx.iteration);
      const seatId = data.event.seatIds[Math.floor(random() * data.event.seatIds.length)]!;
      const hold = await call(ctx, {
        method: 'POST',
        path: `/v1/events/${data.event.eventId}/holds`,
        token: user.token,
        body: { seatIds: [seatId] },
        step: 'hold',
        expect: [201, 409],
      });
      if (hold.status !== 201) return;
      ctx.count('seat_changes');
      await ctx.sleep(0.2);
      const released = await call(ctx, { method: 'DELETE', path: `/v1/holds/${hold.body.id}`, token: user.token, step: 'release' });
      ctx.check('hold released', released.status === 200 || released.status === 204);
      ctx.count('seat_changes');
    },
  },

  async verify() {},
};
