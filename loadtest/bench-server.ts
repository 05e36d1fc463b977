// Child process of bench-holds.ts: one API instance. BENCH_HOLD_STRATEGY is read here only, never by
// the API's configuration: `naive-baseline` adds the benchmark's own baseline route
// (naive-holds.ts); `batched-async-commit` runs the production holds with HOLDS_SYNCHRONOUS_COMMIT=off.
import { buildApp } from '../api/src/app.js';
import { loadConfig } from '../api/src/config.js';
import { createPool } from '../api/src/infra/db.js';
import { connectSharedState } from '../api/src/infra/shared-state.js';
import { collectStartupGarbage } from '../api/src/infra/startup-gc.js';
import { naiveHoldsRoute } from './naive-holds.js';

import http from 'node:http';

// BENCH_RAW=1: a bare node:http server instead, to measure what the machine itself allows.
if (process.env.BENCH_RAW) {
  const raw = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"status":"ok"}');
  });
  raw.listen(0, '127.0.0.1', () => process.send!({ port: (raw.address() as { port: number }).port }));
  process.on('message', () => process.exit(0));
} else {
  await startApi();
}

async function startApi() {
  const strategy = process.env.BENCH_HOLD_STRATEGY ?? 'batched';
  const config = loadConfig(process.env, strategy === 'batched-async-commit' ? { HOLDS_SYNCHRONOUS_COMMIT: 'off' } : {});
  const db = createPool(config.DATABASE_URL!, config.DATABASE_POOL_MAX);
  const shared = await connectSharedState(config.REDIS_URL, config.REDIS_PREFIX, { commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT_MS });
  const app = await buildApp({ config, db, shared, logger: false });
  if (strategy === 'naive-baseline') await app.register(naiveHoldsRoute, { config, db, shared });
  // As server.ts does: the start-up's garbage goes before the first request (see startup-gc.ts).
  await app.ready();
  collectStartupGarbage();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  process.send!({ port: typeof address === 'object' && address ? address.port : 0 });
  process.on('message', async (m) => {
    if (m === 'stop') {
      await app.close();
      await db.end();
      await shared.close();
      process.exit(0);
    }
  });
}
