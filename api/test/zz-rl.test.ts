import { it, expect } from 'vitest';
import { createTestApp } from '../../test/harness/app.js';
it('rl', async () => {
  const a = await createTestApp({ state: process.env.ST as 'memory', config: { RATE_LIMIT_MAX: 3 } , redisPrefix: 'x' + Date.now() });
  const out = [];
  for (let i = 0; i < 5; i++) { const r = await a.app.inject('/v1/auth/me'); out.push(r.statusCode, r.headers['x-ratelimit-remaining'] ?? r.headers['ratelimit-remaining']); }
  console.log(out, a.config.RATE_LIMIT, a.shared.kind);
  await a.close();
});
