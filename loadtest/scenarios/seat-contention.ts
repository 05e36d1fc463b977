// Many buyers racing for few seats, seated and general admission at once; the winners pay. The
// promises: no seat sold twice, general admission never below zero, every charge matched.
//
// Environment (defaults: full / smoke):
//   CONTENTION_SEATS     seats (one row)                  100 / 10
//   CONTENTION_GA        standing tickets                 200 / 10
//   CONTENTION_RATE      buyers per second, each kind     100 / 15
//   CONTENTION_SECONDS   seconds                          20 / 3
import type { Scenario, TestUser } from './adapter.ts';
import {
  PROMISE_COUNTERS,
  adminToken,
  baseThresholds,
  latency,
  buy,
  createEvent,
  isSmoke,
  num,
  seeded,
  verifyPromises,
  type CreatedEvent,
  type Env,
} from './common.ts';

export interface ContentionData {
  admin: string;
  event: CreatedEvent;
  users: TestUser[];
  seed: number;
}

function settings(env: Env) {
  const smoke = isSmoke(env);
  const rate = num(env, 'CONTENTION_RATE', smoke ? 15 : 100);
  const seconds = num(env, 'CONTENTION_SECONDS', smoke ? 3 : 20);
  return {
    seats: num(env, 'CONTENTION_SEATS', smoke ? 10 : 100),
    ga: num(env, 'CONTENTION_GA', smoke ? 10 : 200),
    rate,
    seconds,
    buyers: rate * seconds,
  };
}

export const seatContention: Scenario<ContentionData> = {
  name: 'seat-contention',
  description: 'many buyers racing for few seats (seated and general admission); winners pay',
  trends: ['step_hold', 'step_reserve', 'step_prepare', 'step_approve', 'step_confirm'],
  counters: ['seats_won', 'ga_won', 'lost_race', ...PROMISE_COUNTERS],

  phases(env) {
    const s = settings(env);
    return {
      seated: {
        exec: 'seated',
        executor: 'constant-arrival-rate',
        rate: s.rate,
        duration: s.seconds,
        maxVUs: Math.max(50, s.rate * 5),
        gracefulStop: 60,
      },
      general: {
        exec: 'general',
        executor: 'constant-arrival-rate',
        rate: s.rate,
        duration: s.seconds,
        maxVUs: Math.max(50, s.rate * 5),
        gracefulStop: 60,
      },
    };
  },

  thresholds(env) {
    const s = settings(env);
    return {
      ...baseThresholds(),
      step_hold: latency(env, 1000, 3000),
      step_confirm: latency(env, 2000, 5000),
      // Buyers outnumber the stock: it all sells, and never more than exists.
      seats_won: [`count==${s.seats}`],
      ga_won: [`count==${s.ga}`],
    };
  },

  async setup(ctx, provision) {
    const s = settings(ctx.env);
    const admin = await adminToken(ctx);
    const event = await createEvent(ctx, admin, 'seat-contention', { rows: 1, seatsPerRow: s.seats, generalAdmission: s.ga });
    // Two users per arrival: one for the seated race, one for the standing one (a limit per buyer applies).
    const users = await provision.users(ctx, s.buyers * 2);
    const seed = num(ctx.env, 'LOADTEST_SEED', Math.floor(Math.random() * 2 ** 31));
    ctx.log(`seat-contention: ${s.buyers} buyers a kind for ${s.seats} seats and ${s.ga} standing, seed ${seed}`);
    return { admin, event, users, seed };
  },

  steps: {
    async seated(ctx, data) {
      const user = data.users[(ctx.iteration * 2) % data.users.length]!;
      const random = seeded(data.seed + ctx.iteration);
      const seats = data.event.seatIds;
      const seatId = seats[Math.floor(random() * seats.length)]!;
      const result = await buy(ctx, user, data.event.eventId, { seatIds: [seatId] });
      if (result === 'confirmed') ctx.count('seats_won');
      else if (result === 'unavailable') ctx.count('lost_race');
    },
    async general(ctx, data) {
      const user = data.users[(ctx.iteration * 2 + 1) % data.users.length]!;
      const result = await buy(ctx, user, data.event.eventId, { items: [{ ticketTypeId: data.event.gaTypeId!, quantity: 1 }] });
      if (result === 'confirmed') ctx.count('ga_won');
      else if (result === 'unavailable') ctx.count('lost_race');
    },
  },

  async verify(ctx, data) {
    const figures = await verifyPromises(ctx, data.admin, data.event);
    ctx.log(`seat-contention verify: ${JSON.stringify(figures)}`);
  },
};
