// The on-sale: every buyer joins the waiting room while it is closed, waits on the live channel for
// `queue.admitted`, then holds one seat with the admission token, reserves, prepares the payment,
// approves in the sandbox's payment window and confirms. The line opens at a set time
// (`opensAt`), so places are in join order and the sell-out time is measured from one instant.
//
// Environment (defaults: full / smoke):
//   ONSALE_USERS        buyers in line                    50000 / 40
//   ONSALE_SEATS        seats (one section, rows of 100)  5000 / 10
//   ONSALE_JOIN_RATE    joins per second                  500 / 40
//   ONSALE_ADMIT_RATE   admitPerSecond of the line        50 / 10
//   ONSALE_MAX_ACTIVE   live admissions at most           1000 / 100
//   ONSALE_SELLOUT_RATIO goal of ideal ÷ actual sell-out time, a threshold   0.9 / none
//                       (the smoke's ten seats sell in about one purchase's latency: no pace to measure)
//   ONSALE_WAIT_SECONDS how long after opening a buyer waits before leaving the line
//                                                         (ideal sell-out × 1.5 + 30)
import type { Ctx, Scenario, TestUser } from './adapter.ts';
import {
  PROMISE_COUNTERS,
  call,
  adminToken,
  baseThresholds,
  latency,
  buy,
  configureQueue,
  createEvent,
  isSmoke,
  num,
  seeded,
  verifyPromises,
  type CreatedEvent,
  type Env,
} from './common.ts';

export interface OnsaleData {
  admin: string;
  event: CreatedEvent;
  users: TestUser[];
  /** When the line opens (ms since the epoch). */
  opensAt: number;
  /** Buyers give up waiting at this time. */
  giveUpAt: number;
  admitRate: number;
  admissionTtlSeconds: number;
  seed: number;
}

function settings(env: Env) {
  const smoke = isSmoke(env);
  const users = num(env, 'ONSALE_USERS', smoke ? 40 : 50_000);
  const seats = num(env, 'ONSALE_SEATS', smoke ? 10 : 5_000);
  const joinRate = num(env, 'ONSALE_JOIN_RATE', smoke ? 40 : 500);
  const admitRate = num(env, 'ONSALE_ADMIT_RATE', smoke ? 10 : 50);
  const maxActive = num(env, 'ONSALE_MAX_ACTIVE', smoke ? 100 : 1000);
  const joinSeconds = Math.ceil(users / joinRate);
  const ideal = seats / admitRate;
  const waitSeconds = num(env, 'ONSALE_WAIT_SECONDS', Math.ceil(ideal * 1.5 + 30));
  return { smoke, users, seats, joinRate, admitRate, maxActive, joinSeconds, ideal, waitSeconds };
}

const STEPS = ['join', 'admitted', 'hold', 'reserve', 'prepare', 'approve', 'confirm'];

export const onsale: Scenario<OnsaleData> = {
  name: 'onsale',
  description: 'join → queue.admitted on the live channel → hold with X-Queue-Token → reserve → prepare → sandbox approve → confirm',
  trends: [...STEPS.map((s) => `step_${s}`), 'sold_at_ms'],
  counters: ['seats_bought', 'sold_out_seen', 'queue_gave_up', 'admitted_by_join', ...PROMISE_COUNTERS],

  phases(env) {
    const s = settings(env);
    return {
      buyers: {
        exec: 'buyer',
        executor: 'constant-arrival-rate',
        rate: s.joinRate,
        duration: s.joinSeconds,
        maxVUs: s.users,
        // Buyers keep waiting after the last join: until they give up, plus a purchase.
        gracefulStop: s.waitSeconds + 5 + 60,
      },
    };
  },

  thresholds(env) {
    const s = settings(env);
    const ratio = num(env, 'ONSALE_SELLOUT_RATIO', s.smoke ? 0 : 0.9);
    return {
      ...baseThresholds(),
      step_join: latency(env, 1000, 3000),
      step_hold: latency(env, 1000, 3000),
      step_reserve: latency(env, 1000, 3000),
      step_prepare: latency(env, 1000, 3000),
      step_confirm: latency(env, 2000, 5000),
      // Every seat sold (to at most one buyer): the sale completes.
      seats_bought: [`count==${s.seats}`],
      // Sold out within ideal ÷ ratio of the opening: the line and the purchase path keep the pace.
      ...(ratio > 0 ? { sold_at_ms: [`max<${Math.ceil((s.ideal / ratio) * 1000)}`] } : {}),
    };
  },

  async setup(ctx, provision) {
    const s = settings(ctx.env);
    const admin = await adminToken(ctx);
    const seatsPerRow = Math.min(100, s.seats);
    if (s.seats % seatsPerRow !== 0) throw new Error('ONSALE_SEATS must be a multiple of 100 (or below 100)');
    const event = await createEvent(ctx, admin, 'onsale', { rows: s.seats / seatsPerRow, seatsPerRow });
    const users = await provision.users(ctx, s.users);
    // Setup itself takes a while at full size: the line opens after every join, with a margin.
    const opensAt = ctx.now() + (s.joinSeconds + (s.smoke ? 2 : 10)) * 1000;
    const admissionTtlSeconds = 120;
    await configureQueue(ctx, admin, event.eventId, {
      enabled: true,
      paused: false,
      admitPerSecond: s.admitRate,
      maxActive: s.maxActive,
      admissionTtlSeconds,
      order: 'fifo',
      opensAt: new Date(opensAt).toISOString(),
    });
    const seed = num(ctx.env, 'LOADTEST_SEED', Math.floor(Math.random() * 2 ** 31));
    ctx.log(
      `onsale: ${s.users} buyers, ${s.seats} seats, joins ${s.joinRate}/s, admits ${s.admitRate}/s (ideal sell-out ${s.ideal.toFixed(1)} s), seed ${seed}`,
    );
    return { admin, event, users, opensAt, giveUpAt: opensAt + s.waitSeconds * 1000, admitRate: s.admitRate, admissionTtlSeconds, seed };
  },

  steps: {
    async buyer(ctx: Ctx, data: OnsaleData) {
      const user = data.users[ctx.iteration % data.users.length]!;
      const eventId = data.event.eventId;
      // The socket first, so the admission cannot arrive before we listen.
      const live = await ctx.ws(`/v1/realtime?token=${user.token}`, 'ws_connect');
      if (!ctx.check('live channel open', live !== null) || !live) return;
      try {
        live.send({ op: 'subscribe', topic: `queue.${eventId}` });
        const subscribed = await live.next((m) => m.type === 'subscribed' || m.type === 'error', 10_000);
        if (!ctx.check('queue topic subscribed', subscribed?.type === 'subscribed')) return;
        const joinedAt = ctx.now();
        const joined = await call(ctx, { method: 'POST', path: `/v1/events/${eventId}/queue/join`, token: user.token, step: 'join' });
        if (!ctx.check('join 200', joined.status === 200)) return;
        const joinAnsweredAt = ctx.now();
        let admission = joined.body.admission as { token: string; expiresAt: string } | undefined;
        if (admission) ctx.count('admitted_by_join');
        if (!admission) {
          const message = await live.next((m) => m.type === 'queue.admitted', Math.max(1000, data.giveUpAt - ctx.now()));
          if (!message) {
            // Sold out long ago (or the line is stuck): the buyer closes the tab.
            ctx.count('queue_gave_up');
            return;
          }
          admission = message.admission as { token: string; expiresAt: string };
        }
        const admittedAt = ctx.now();
        ctx.trend('step_admitted', admittedAt - joinedAt);
        ctx.record('admission', {
          userId: user.userId,
          position: joined.body.position,
          // Places are absolute only for joins answered before the line opened (none admitted yet).
          joinedBeforeOpen: joinAnsweredAt < data.opensAt,
          // The server's admission instant: one admitter round shares one expiry.
          admittedAtServer: Date.parse(admission.expiresAt) - data.admissionTtlSeconds * 1000,
        });
        await purchase(ctx, data, user, admission.token);
      } finally {
        live.close();
      }
    },
  },

  async verify(ctx, data) {
    const figures = await verifyPromises(ctx, data.admin, data.event);
    ctx.log(`onsale verify: ${JSON.stringify(figures)}`);
  },
};

/** One seat: a random pick first (a storefront's map is seconds old), then from a fresh seat map. */
async function purchase(ctx: Ctx, data: OnsaleData, user: TestUser, queueToken: string) {
  const random = seeded(data.seed + ctx.iteration);
  const seats = data.event.seatIds;
  for (let attempt = 0; attempt < 6; attempt++) {
    let seatId = seats[Math.floor(random() * seats.length)]!;
    if (attempt >= 2) {
      const map = await call(ctx, { method: 'GET', path: `/v1/events/${data.event.eventId}/seats`, step: 'seat_map' });
      const free = ((map.body.seats as Array<{ id: string; status: string }>) ?? []).filter((s) => s.status === 'available');
      if (free.length === 0) {
        ctx.count('sold_out_seen');
        return;
      }
      seatId = free[Math.floor(random() * free.length)]!.id;
    }
    const result = await buy(ctx, user, data.event.eventId, { seatIds: [seatId] }, queueToken);
    if (result === 'confirmed') {
      ctx.count('seats_bought');
      ctx.trend('sold_at_ms', ctx.now() - data.opensAt);
      return;
    }
    if (result === 'failed') return;
  }
  ctx.count('sold_out_seen');
}
