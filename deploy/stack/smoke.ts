// npm run stack:smoke: the load suite's on-sale smoke scenario through HAProxy in front of two API
// instances (STACK_INSTANCES), on a fresh stack that is stopped afterwards. Exits with the load
// runner's code. Extra arguments name other scenarios (`npm run stack:smoke -- onsale seat-contention`).
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HaproxyMissing } from './haproxy.js';
import { startStack, type Stack } from './stack.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const scenarios = process.argv.slice(2).length ? process.argv.slice(2) : ['onsale'];
const instances = Number(process.env.STACK_INSTANCES ?? 2);
const dataDir = mkdtempSync(path.join(tmpdir(), 'tiketi-stack-smoke-'));
chmodSync(dataDir, 0o755); // as root, lets the `postgres` user keep the data here

let stack: Stack | undefined;
let code = 1;
try {
  stack = await startStack({
    instances,
    port: 0,
    dataDir,
    fastPostgres: true,
    installHaproxy: process.getuid?.() === 0,
    // What the load suite asks of a stack it targets (loadtest/README.md): many buyers share 127.0.0.1.
    env: {
      LOG_LEVEL: 'warn',
      TIKETI_SEED: 'none',
      RATE_LIMIT: 'off',
      HOLDS_PER_IP_PER_EVENT: '0',
      HOLDS_PER_ACCOUNT_PER_MINUTE: '0',
      REALTIME_MAX_CONNECTIONS_PER_IP: '100000',
    },
    log: (line) => console.log(`stack: ${line}`),
  });
  console.log(`stack: ${stack.api.length} API instances behind HAProxy on ${stack.url}; running ${scenarios.join(', ')} through it`);
  const runner = spawn(process.execPath, ['--import', 'tsx', 'loadtest/runner/run.ts', ...scenarios], {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      LOADTEST_SMOKE: process.env.LOADTEST_SMOKE ?? '1',
      LOADTEST_API_URL: stack.url,
      LOADTEST_REALTIME_URL: stack.url.replace('http', 'ws'),
      LOADTEST_SANDBOX_URL: `${stack.url}/sandbox/toss`,
      LOADTEST_ADMIN_EMAIL: stack.admin.email,
      LOADTEST_ADMIN_PASSWORD: stack.admin.password,
      LOADTEST_DATABASE_URL: stack.databaseUrl,
      LOADTEST_JWT_SECRET: stack.jwtSecret,
    },
  });
  code = await new Promise<number>((resolve) => runner.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  // Both instances took part: HAProxy's session counts per API server.
  const rows = await stack.stats();
  const served = stack.api.map((a) => `${a.name} ${rows.find((r) => r.pxname === 'api' && r.svname === a.name)?.stot ?? '?'}`);
  console.log(`stack: HTTP sessions per instance through HAProxy: ${served.join(', ')}`);
} catch (err) {
  if (err instanceof HaproxyMissing) {
    console.error(`stack:smoke: ${err.message}`);
    code = 3;
  } else {
    console.error(`stack:smoke failed: ${(err as Error).stack ?? err}`);
  }
} finally {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(code);
