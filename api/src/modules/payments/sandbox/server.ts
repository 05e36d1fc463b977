import Fastify from 'fastify';
import { createTossSandbox, tossSandboxRoutes, type TossSandbox, type TossSandboxOptions } from './toss-sandbox.js';

export interface RunningTossSandbox {
  /** Base URL to use as TOSS_API_URL. */
  url: string;
  sandbox: TossSandbox;
  close(): Promise<void>;
}

/** Runs the sandbox on its own HTTP listener (its own process via main.ts, or inside a test). */
export async function startTossSandbox(
  opts: TossSandboxOptions & { host?: string; port?: number; logLevel?: string } = {},
): Promise<RunningTossSandbox> {
  const host = opts.host ?? '127.0.0.1';
  const app = Fastify({ logger: opts.logLevel ? { level: opts.logLevel } : false });
  const sandbox = createTossSandbox(opts);
  await app.register(tossSandboxRoutes, { sandbox });
  await app.listen({ host, port: opts.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { url: `http://${host}:${port}`, sandbox, close: () => app.close() };
}
