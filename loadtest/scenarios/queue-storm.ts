// The waiting room under a storm: buyers join and read their place, while watchers follow their
// place on the live channel as the line moves (the admitter lets people in at a slow pace).
//
// Environment (defaults: full / smoke):
//   QUEUE_JOIN_RATE      joins per second               300 / 20
//   QUEUE_SECONDS        seconds of joining             30 / 3
//   QUEUE_WATCH_RATE     watchers per second            20 / 5
//   QUEUE_POSITION_READS place reads per joiner         3 / 2
//   QUEUE_ADMIT_RATE     admitPerSecond (line moves)    20 / 5
import type { Scenario, TestUser } from './adapter.ts';
import {
  PROMISE_COUNTERS,
  call,
  adminToken,
  baseThresholds,
  latency,
  configureQueue,
  createEvent,
  isSmoke,
  num,
  type Env,
} from './common.ts';

export interface QueueStormData {
  eventId: string;
  joiners: TestUser[];
  watchers: TestUser[];
  reads: number;
}

function settings(env: Env) {
  const smoke = isSmoke(env);
  const joinRate = num(env, 'QUEUE_JOIN_RATE', smoke ? 20 : 300);
  const seconds = num(env, 'QUEUE_SECONDS', smoke ? 3 : 30);
  const watchRate = num(env, 'QUEUE_WATCH_RATE', smoke ? 5 : 20);
  return {
    joinRate,
    seconds,
    watchRate,
    reads: num(env, 'QUEUE_POSITION_READS', smoke ? 2 : 3),
    admitRate: num(env, 'QUEUE_ADMIT_RATE', smoke ? 5 : 20),
    joiners: Math.round(joinRate * seconds),
    watchers: Math.round(watchRate * seconds),
  };
}

export const queueStorm: Scenario<QueueStormData> = {
  name: 'queue-storm',
  description: 'joins and place reads, plus watchers of their place on the live channel',
  trends: ['step_join', 'step_position', 'step_ws_connect', 'step_first_push'],
  counters: ['position_pushes', ...PROMISE_COUNTERS],

  phases(env) {
    const s = settings(env);
    return {
      joiners: {
        exec: 'joiner',
        executor: 'constant-arrival-rate',
        rate: s.joinRate,
        duration: s.seconds,
        maxVUs: Math.max(50, s.joinRate * 5),
        gracefulStop: 30,
      },
      watchers: {
        exec: 'watcher',
        executor: 'constant-arrival-rate',
        rate: s.watchRate,
        duration: s.seconds,
        maxVUs: Math.max(20, s.watchRate * 10),
        gracefulStop: 30,
      },
    };
  },

  thresholds(env) {
    return {
      ...baseThresholds(),
      step_join: latency(env, 500, 1500),
      step_position: latency(env, 500, 1500),
      // A watcher hears of its place within a few seconds (pushes are coalesced to one a second).
      step_first_push: latency(env, 3000, 5000),
    };
  },

  async setup(ctx, provision) {
    const s = settings(ctx.env);
    const admin = await adminToken(ctx);
    const event = await createEvent(ctx, admin, 'queue-storm', { generalAdmission: 1_000_000 });
    await configureQueue(ctx, admin, event.eventId, {
      enabled: true,
      paused: false,
      admitPerSecond: s.admitRate,
      maxActive: 10_000_000,
      admissionTtlSeconds: 600,
    });
    const users = await provision.users(ctx, s.joiners + s.watchers);
    return { eventId: event.eventId, joiners: users.slice(0, s.joiners), watchers: users.slice(s.joiners), reads: s.reads };
  },

  steps: {
    async joiner(ctx, data) {
      const user = data.joiners[ctx.iteration % data.joiners.length]!;
      const joined = await call(ctx, { method: 'POST', path: `/v1/events/${data.eventId}/queue/join`, token: user.token, step: 'join' });
      if (!ctx.check('join 200', joined.status === 200)) return;
      ctx.check('join has a place or an admission', typeof joined.body.position === 'number');
      for (let i = 0; i < data.reads; i++) {
        await ctx.sleep(0.5);
        const me = await call(ctx, { method: 'GET', path: `/v1/events/${data.eventId}/queue/me`, token: user.token, step: 'position' });
        ctx.check('place 200', me.status === 200);
      }
    },

    async watcher(ctx, data) {
      const user = data.watchers[ctx.iteration % data.watchers.length]!;
      const live = await ctx.ws(`/v1/realtime?token=${user.token}`, 'ws_connect');
      if (!ctx.check('live channel open', live !== null) || !live) return;
      try {
        live.send({ op: 'subscribe', topic: `queue.${data.eventId}` });
        const subscribed = await live.next((m) => m.type === 'subscribed' || m.type === 'error', 10_000);
        if (!ctx.check('queue topic subscribed', subscribed?.type === 'subscribed')) return;
        const joined = await call(ctx, { method: 'POST', path: `/v1/events/${data.eventId}/queue/join`, token: user.token, step: 'join' });
        if (!ctx.check('join 200', joined.status === 200)) return;
        if (joined.body.status === 'admitted') return;
        const t0 = ctx.now();
        const push = await live.next((m) => m.type === 'queue.position' || m.type === 'queue.admitted', 15_000);
        if (ctx.check('place pushed on the live channel', push !== null)) {
          ctx.trend('step_first_push', ctx.now() - t0);
          ctx.count('position_pushes');
        }
      } finally {
        live.close();
      }
    },
  },

  async verify() {},
};
