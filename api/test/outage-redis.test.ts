// Redis stopped under load: what does not need Redis keeps working (public reads, holds, with the
// rate limits and idempotency falling back to per-instance state), /ready says 503, and everything
// is back on Redis once it restarts, without restarting the API. The API is the real entry point,
// spawned, against its own redis-server that the test stops and starts.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { createPool, type Db } from '../src/infra/db.js';
import { createTestDatabase } from '../../test/harness/app.js';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';
import { freePort, waitFor } from '../../test/harness/ports.js';
import { seededRandom } from '../../test/harness/random.js';
import { startServerProcess, type ServerProcess } from '../../test/harness/server-process.js';

const JWT_SECRET = 'outage-test-secret-outage-test-secret';
const PREFIX = `test:${randomUUID()}:`;
let redisPort: number;
let redis: ChildProcess | undefined;
let server: ServerProcess | undefined;
let db: Db | undefined;
let databaseUrl: string;

async function startRedis() {
  redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await waitFor(redisPort);
}
async function stopRedis() {
  const child = redis!;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  redis = undefined;
}

beforeAll(async () => {
  redisPort = await freePort();
  await startRedis();
  databaseUrl = await createTestDatabase();
  server = await startServerProcess(
    {
      DATABASE_URL: databaseUrl,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      REDIS_PREFIX: PREFIX,
      JWT_SECRET,
      TIKETI_SEED: 'none',
      LOG_LEVEL: 'info', // the start-up line the harness waits for is at info
      // The Redis-backed limits stay on, so their fallback is exercised.
      RATE_LIMIT_MAX: '100000',
      HOLDS_PER_IP_PER_EVENT: '100000',
      HOLDS_PER_ACCOUNT_PER_MINUTE: '100000',
    },
    // Start-up on a busy 2-core machine took over a minute in a full run: a guard, not a speed claim.
    180_000,
  );
  db = createPool(databaseUrl, 2);
}, 300_000);

afterAll(async () => {
  await server?.stop();
  await db?.end();
  if (redis) await stopRedis();
});

describe('Redis stopped under load', () => {
  it('keeps public reads and holds working, /ready answers 503, and recovers when Redis is back', async () => {
    const base = server!.baseUrl;
    const config = loadConfig({}, { DATABASE_URL: databaseUrl, JWT_SECRET });
    const ev = await createEventFixture(db!, { sections: [{ name: 'A', rows: 10, seatsPerRow: 50, price: 50_000 }] });
    const seats = ev.seats.A!;
    const users = await createUsers({ db: db!, config }, 40);
    const rnd = seededRandom();
    let nextSeat = 0;
    const hold = (user: { token: string }, key = randomUUID()) =>
      fetch(`${base}/v1/events/${ev.eventId}/holds`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}`, 'idempotency-key': key },
        body: JSON.stringify({ seatIds: [seats[nextSeat++]] }),
      });

    // Background load: public reads of the catalog and the seat map.
    const statuses: number[] = [];
    let stop = false;
    const reader = async () => {
      while (!stop) {
        const url = rnd.random() < 0.5 ? `${base}/v1/events` : `${base}/v1/events/${ev.eventId}/seats`;
        statuses.push((await fetch(url)).status);
      }
    };
    const readers = Array.from({ length: 4 }, () => reader());
    try {
      expect((await fetch(`${base}/ready`)).status).toBe(200);
      expect((await hold(users[0]!)).status).toBe(201);

      await stopRedis();
      const readsAtStop = statuses.length;

      // Public reads answer 200 without waiting on Redis (latencies printed, for the record).
      const latencies: number[] = [];
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        const res = await fetch(`${base}/v1/events/${ev.eventId}/seats`);
        latencies.push(performance.now() - started);
        expect(res.status).toBe(200);
      }
      console.log(`public reads with Redis down: max ${Math.max(...latencies).toFixed(0)} ms over ${latencies.length}`);

      const ready = await fetch(`${base}/ready`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: { redis: { status: string } } }).checks.redis.status).toBe('down');

      // Holds work; idempotency keys are honoured by this instance on its own meanwhile.
      const key = randomUUID();
      const first = await hold(users[1]!, key);
      expect(first.status).toBe(201);
      nextSeat--; // the retry sends the same body
      const retry = await hold(users[1]!, key);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(((await retry.json()) as { id: string }).id).toBe(((await first.json()) as { id: string }).id);

      // The background readers kept getting answers while Redis was down.
      const before = statuses.length;
      await new Promise<void>((resolve) => {
        const check = () => (statuses.length >= before + 20 ? resolve() : setTimeout(check, 10));
        check();
      });
      expect(statuses.length).toBeGreaterThan(readsAtStop);

      await startRedis();
      for (let i = 0; (await fetch(`${base}/ready`)).status !== 200; i++) {
        if (i > 400) throw new Error('/ready did not come back after Redis restarted');
        await new Promise((r) => setTimeout(r, 50));
      }
      // Back on Redis: a new answer is stored there (not only in this instance).
      const afterKey = randomUUID();
      expect((await hold(users[2]!, afterKey)).status).toBe(201);
      const probe = new Redis(redisPort, '127.0.0.1');
      try {
        const stored = await probe.keys(`${PREFIX}idem:${users[2]!.userId}:*${afterKey}`);
        expect(stored).toHaveLength(1);
      } finally {
        probe.disconnect();
      }
    } finally {
      stop = true;
      await Promise.all(readers);
    }
    // Every public read, before, during and after the outage, answered 200.
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  }, 300_000);
});
