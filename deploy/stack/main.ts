// npm run stack: PostgreSQL, Redis, the Toss sandbox, a worker and N API instances behind HAProxy on
// this machine; prints the URL; Ctrl-C stops everything. STACK_INSTANCES (default 2), STACK_PORT
// (default 8080; 0 = a free port), STACK_DATA_DIR (default .tiketi-stack). Any TIKETI setting in the
// environment reaches every instance (e.g. LOG_LEVEL=debug, RATE_LIMIT=on).
import { HaproxyMissing } from './haproxy.js';
import { startStack, type Stack } from './stack.js';

const instances = Number(process.env.STACK_INSTANCES ?? 2);
const port = Number(process.env.STACK_PORT ?? 8080);
const dataDir = process.env.STACK_DATA_DIR ?? '.tiketi-stack';

let stack: Stack | undefined;
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  console.log('stopping: load balancer, API instances (draining), worker, sandbox, Redis, PostgreSQL');
  await stack?.stop();
  process.exit(code);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(0));

try {
  stack = await startStack({
    instances,
    port,
    dataDir,
    installHaproxy: process.env.STACK_INSTALL_HAPROXY === '1',
    log: (line) => console.log(line),
  });
} catch (err) {
  if (err instanceof HaproxyMissing) {
    console.error(`npm run stack: ${err.message}`);
    process.exit(3);
  }
  console.error(`npm run stack failed: ${(err as Error).message}`);
  await stop(1);
}

const s = stack!;
console.log(`
TIKETI stack ready: ${s.api.length} API instance(s) behind HAProxy
  API        ${s.url}/v1   (docs ${s.url}/docs)
  realtime   ${s.url.replace('http', 'ws')}/v1/realtime
  sandbox    ${s.url}/sandbox/toss   (Toss-compatible payment window, shared by every instance)
  HAProxy    ${s.statsUrl}
  instances  ${s.api.map((a) => `${a.name} :${a.httpPort} (realtime :${a.realtimePort})`).join(', ')}; worker :${s.worker.httpPort}
  admin      ${s.admin.email} (password: TIKETI_ADMIN_PASSWORD, or the development admin's in README)
  logs       ${dataDir}/logs/
Ctrl-C stops everything.`);

// An instance that dies is reported (HAProxy keeps serving from the others); the stack stays up.
for (const p of [...s.api, s.worker]) {
  void p.exited.then((code) => {
    if (!stopping) console.error(`${p.name} exited (code ${code}); HAProxy routes around it. Logs: ${dataDir}/logs/${p.name}.log`);
  });
}
