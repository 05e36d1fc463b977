// `npm run openapi`: writes openapi/openapi.json from the route schemas (no database needed).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Db } from '../src/infra/db.js';
import { connectSharedState } from '../src/infra/shared-state.js';

const config = loadConfig({}, { RATE_LIMIT: 'on', LOG_LEVEL: 'silent' });
// Routes are only registered, never called, so a pool that is never connected is enough.
const { createPool } = await import('../src/infra/db.js');
const db: Db = createPool('postgres://unused@127.0.0.1:1/unused', 1);
const shared = await connectSharedState(undefined, 'openapi:');
const app = await buildApp({ config, db, shared });
await app.ready();
const spec = app.swagger() as Record<string, unknown>;
const out = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url));
writeFileSync(out, JSON.stringify(spec, null, 2) + '\n');
await app.close();
await db.end();
await shared.close();
console.log(`wrote ${out}`);
