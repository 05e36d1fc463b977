// Child process of bench-queue.ts: a baseline server that makes the same Redis calls as the API's
// queue join and position (the same Lua scripts, through the queue's own Redis store), without
// anything else the API does (auth, settings, validation, problem answers, metrics, hooks).
//   BENCH_BASELINE=fastify  a bare Fastify route
//   BENCH_BASELINE=express  Express 5 + ioredis, the original system's stack
// The caller names itself with `x-user-id` (no token: the baselines do no auth).
import { Redis } from 'ioredis';
import { createRedisQueueStore } from '../api/src/modules/queue/redis-store.js';

const redis = new Redis(process.env.REDIS_URL!, { enableAutoPipelining: true });
const store = createRedisQueueStore(redis, process.env.REDIS_PREFIX ?? 'bench:');
const join = async (eventId: string, userId: string) => {
  const place = await store.join(eventId, userId, { opensAtMs: null, randomScore: 0 });
  return place.state === 'waiting' ? { status: 'waiting', position: place.ahead + 1, ahead: place.ahead } : { status: 'admitted' };
};
const me = async (eventId: string, userId: string) => {
  const place = await store.place(eventId, userId);
  return place.state === 'waiting' ? { status: 'waiting', position: place.ahead + 1, ahead: place.ahead } : { status: place.state };
};

async function listen(server: { listen: (port: number, host: string, cb: () => void) => unknown; address: () => unknown }) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

let port: number;
if (process.env.BENCH_BASELINE === 'express') {
  const { default: express } = await import('express');
  const app = express();
  app.post('/v1/events/:eventId/queue/join', async (req, res) => {
    res.json(await join(req.params.eventId, String(req.headers['x-user-id'])));
  });
  app.get('/v1/events/:eventId/queue/me', async (req, res) => {
    res.json(await me(req.params.eventId, String(req.headers['x-user-id'])));
  });
  const http = await import('node:http');
  port = await listen(http.createServer(app));
} else {
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  app.post<{ Params: { eventId: string } }>('/v1/events/:eventId/queue/join', async (req) =>
    join(req.params.eventId, String(req.headers['x-user-id'])),
  );
  app.get<{ Params: { eventId: string } }>('/v1/events/:eventId/queue/me', async (req) =>
    me(req.params.eventId, String(req.headers['x-user-id'])),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
}
process.send!({ port });
process.on('message', () => process.exit(0));
