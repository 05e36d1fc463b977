// The scenarios' adapter on undici (HTTP, keep-alive pools) and ws (the live channel), for the
// in-repo runner. Everything a step does is timed and counted in `Metrics`, named as k6 names it.
import { Agent, request } from 'undici';
import WebSocket from 'ws';
import type { Ctx, HttpRequest, HttpResponse, WsConnection } from '../scenarios/adapter.ts';
import type { Metrics } from './metrics.js';

export interface Targets {
  /** One or more API instances (LOADTEST_API_URL may list several, comma separated). */
  apiUrls: string[];
  /** The live channel of each instance, in the same order (one entry = shared by all). */
  realtimeUrls: string[];
  sandboxUrl: string;
}

/** Iteration i talks to instance i mod n, HTTP and live channel alike (as a sticky load balancer would). */
export function instanceOf(targets: Targets, iteration: number) {
  const i = iteration % targets.apiUrls.length;
  return { apiUrl: targets.apiUrls[i]!, realtimeUrl: targets.realtimeUrls[i % targets.realtimeUrls.length]! };
}

/** One agent for the run: keep-alive connections, enough of them for every user in flight. */
export function createAgent(connections: number): Agent {
  return new Agent({ connections, pipelining: 1, keepAliveTimeout: 30_000, connect: { timeout: 30_000 } });
}

export interface Records {
  push(kind: string, value: Record<string, unknown>): void;
}

export function createCtx(opts: {
  env: Record<string, string | undefined>;
  targets: Targets;
  iteration: number;
  metrics: Metrics;
  agent: Agent;
  records: Records;
  log?: (m: string) => void;
}): Ctx {
  const { metrics, agent, targets } = opts;
  const { apiUrl, realtimeUrl } = instanceOf(targets, opts.iteration);
  return {
    env: opts.env,
    apiUrl,
    realtimeUrl,
    sandboxUrl: targets.sandboxUrl,
    iteration: opts.iteration,
    async http(req: HttpRequest): Promise<HttpResponse> {
      const url = /^https?:\/\//.test(req.path) ? req.path : `${apiUrl}${req.path}`;
      const headers: Record<string, string> = { ...(req.headers ?? {}) };
      if (req.token) headers.authorization = `Bearer ${req.token}`;
      if (req.body !== undefined) headers['content-type'] = 'application/json';
      const started = performance.now();
      let status = 0;
      let text = '';
      try {
        const res = await request(url, {
          method: req.method,
          headers,
          body: req.body === undefined ? undefined : JSON.stringify(req.body),
          dispatcher: agent,
          headersTimeout: 60_000,
          bodyTimeout: 60_000,
        });
        status = res.statusCode;
        text = await res.body.text();
      } catch (err) {
        metrics.error(`${req.step}: ${(err as Error).message}`);
      }
      const durationMs = performance.now() - started;
      const expected = req.expect ? req.expect.includes(status) : status >= 200 && status < 400;
      metrics.trend('http_req_duration', durationMs);
      metrics.trend(`step_${req.step}`, durationMs);
      metrics.rate('http_req_failed', !expected);
      metrics.count('http_reqs');
      if (!expected) metrics.error(`${req.step}: ${status} ${text.slice(0, 160)}`);
      let body: Record<string, unknown> = {};
      if (text) {
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = {};
        }
      }
      return { status, body, durationMs };
    },
    async ws(path: string, step: string): Promise<WsConnection | null> {
      const started = performance.now();
      const ws = new WebSocket(`${realtimeUrl}${path}`);
      const messages: Array<Record<string, unknown>> = [];
      const waiters = new Set<() => void>();
      ws.on('message', (data) => {
        try {
          messages.push(JSON.parse(data.toString()) as Record<string, unknown>);
        } catch {
          return;
        }
        for (const w of [...waiters]) w();
      });
      const opened = await new Promise<boolean>((resolve) => {
        ws.once('open', () => resolve(true));
        ws.once('error', (err) => {
          metrics.error(`${step}: ${err.message}`);
          resolve(false);
        });
        ws.once('unexpected-response', (_req, res) => {
          metrics.error(`${step}: upgrade answered ${res.statusCode}`);
          res.resume();
          resolve(false);
        });
      });
      metrics.trend(`step_${step}`, performance.now() - started);
      metrics.rate('ws_connect_failed', !opened);
      if (!opened) {
        ws.terminate();
        return null;
      }
      ws.on('error', () => {});
      return {
        send: (message) => ws.send(JSON.stringify(message)),
        close: () => ws.close(),
        next(predicate, timeoutMs) {
          return new Promise((resolve) => {
            const already = messages.find(predicate);
            if (already) return resolve(already);
            const check = () => {
              const found = messages.find(predicate);
              if (found) {
                waiters.delete(check);
                clearTimeout(timer);
                resolve(found);
              }
            };
            waiters.add(check);
            const timer = setTimeout(() => {
              waiters.delete(check);
              resolve(null);
            }, timeoutMs);
            ws.once('close', () => {
              if (waiters.delete(check)) {
                clearTimeout(timer);
                resolve(null);
              }
            });
          });
        },
      };
    },
    check(name, ok) {
      metrics.check(name, ok);
      return ok;
    },
    trend: (name, value) => metrics.trend(name, value),
    count: (name, n = 1) => metrics.count(name, n),
    record: (kind, value) => opts.records.push(kind, value),
    sleep: (seconds) => new Promise((r) => setTimeout(r, seconds * 1000)),
    now: () => Date.now(),
    log: opts.log ?? ((m) => console.log(m)),
  };
}
