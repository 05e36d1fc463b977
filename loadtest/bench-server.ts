// Child process of bench-holds.ts: one API instance with the hold strategy under test.
// BENCH_HOLD_STRATEGY is read here only, never by the API's configuration.
import { buildApp } from '../api/src/app.js';
import { loadConfig } from '../api/src/config.js';
import { createPool } from '../api/src/infra/db.js';
import { connectSharedState } from '../api/src/infra/shared-state.js';
import type { HoldStrategy } from '../api/src/modules/inventory/service.js';

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
  const config = loadConfig();
  const db = createPool(config.DATABASE_URL!, config.DATABASE_POOL_MAX);
  const shared = await connectSharedState(config.REDIS_URL, config.REDIS_PREFIX);
  const holdStrategy = (process.env.BENCH_HOLD_STRATEGY ?? 'batched') as HoldStrategy;
  const app = await buildApp({ config, db, shared, logger: false, holdStrategy });
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
