// The Toss-compatible sandbox as its own process, for load tests and storefront developers' test
// suites: `npm run sandbox:toss` (TOSS_SANDBOX_PORT, default 4010; TOSS_SANDBOX_HOST, default
// 127.0.0.1). Point TIKETI at it with TOSS_API_URL=http://127.0.0.1:4010.
import { startTossSandbox } from './server.js';

const port = Number(process.env.TOSS_SANDBOX_PORT ?? 4010);
const host = process.env.TOSS_SANDBOX_HOST ?? '127.0.0.1';
const running = await startTossSandbox({ host, port, logLevel: process.env.LOG_LEVEL ?? 'info', publicUrl: `http://${host}:${port}` });
console.log(`TossPayments sandbox on ${running.url} (TOSS_API_URL=${running.url})`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void running.close().then(() => process.exit(0)));
