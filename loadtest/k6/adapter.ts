// The scenarios' adapter on k6 (k6 1.x runs TypeScript natively): k6/http's asyncRequest, the
// k6/websockets WebSocket, k6 checks and custom metrics, and the options, setup, teardown and
// handleSummary an entry point exports. Each entry point (onsale.ts, queue-storm.ts ...) is a few
// lines that hand its scenario to `k6Entry`.
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { setTimeout, clearTimeout } from 'k6/timers';
import { WebSocket } from 'k6/websockets';
import type { Ctx, HttpRequest, HttpResponse, Scenario, Step, WsConnection } from '../scenarios/adapter.ts';
import { apiProvisioner } from '../scenarios/common.ts';

// k6 has a console; @types/k6 leaves it to the DOM library, which these scripts do not load.
declare const console: { log(...args: unknown[]): void };

const env = __ENV as Record<string, string | undefined>;

function targets() {
  const apiUrl = (env.LOADTEST_API_URL ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  return {
    apiUrl,
    realtimeUrl: (env.LOADTEST_REALTIME_URL ?? apiUrl.replace(/^http/, 'ws')).replace(/\/+$/, ''),
    sandboxUrl: (env.LOADTEST_SANDBOX_URL ?? `${apiUrl}/sandbox/toss`).replace(/\/+$/, ''),
  };
}

export function k6Entry<D>(scenario: Scenario<D>) {
  // k6 wants every custom metric made in the init context, before the run.
  const trends = new Map<string, Trend>();
  for (const name of [...scenario.trends, 'step_setup', 'step_verify', 'step_leave', 'step_seat_map', 'step_ws_connect'])
    if (!trends.has(name)) trends.set(name, new Trend(name, true));
  const counters = new Map(scenario.counters.map((name) => [name, new Counter(name)]));
  const phases = scenario.phases(env);

  const ctx = (): Ctx => ({
    env,
    ...targets(),
    iteration: exec.scenario.iterationInTest,
    async http(req: HttpRequest): Promise<HttpResponse> {
      const url = /^https?:\/\//.test(req.path) ? req.path : `${targets().apiUrl}${req.path}`;
      const headers: Record<string, string> = { ...(req.headers ?? {}) };
      if (req.token) headers.Authorization = `Bearer ${req.token}`;
      if (req.body !== undefined) headers['Content-Type'] = 'application/json';
      const res = await http.asyncRequest(req.method, url, req.body === undefined ? null : JSON.stringify(req.body), {
        headers,
        tags: { name: req.step },
        responseCallback: http.expectedStatuses(...(req.expect ?? [{ min: 200, max: 399 }])),
      });
      trends.get(`step_${req.step}`)?.add(res.timings.duration);
      let body: Record<string, unknown> = {};
      try {
        const parsed = typeof res.body === 'string' && res.body ? (JSON.parse(res.body) as unknown) : {};
        if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
      } catch {
        body = {};
      }
      return { status: res.status, body, durationMs: res.timings.duration };
    },
    ws(path: string, step: string): Promise<WsConnection | null> {
      const started = Date.now();
      const socket = new WebSocket(`${targets().realtimeUrl}${path}`);
      const messages: Array<Record<string, unknown>> = [];
      const waiters = new Set<() => void>();
      socket.onmessage = (e) => {
        try {
          messages.push(JSON.parse(String(e?.data)) as Record<string, unknown>);
        } catch {
          return;
        }
        for (const w of [...waiters]) w();
      };
      const connection: WsConnection = {
        send: (message) => socket.send(JSON.stringify(message)),
        close: () => socket.close(),
        next(predicate, timeoutMs) {
          return new Promise((resolve) => {
            const found = messages.find(predicate);
            if (found) return resolve(found);
            const waiter = () => {
              const m = messages.find(predicate);
              if (m) {
                waiters.delete(waiter);
                clearTimeout(timer);
                resolve(m);
              }
            };
            const timer = setTimeout(() => {
              waiters.delete(waiter);
              resolve(null);
            }, timeoutMs);
            waiters.add(waiter);
          });
        },
      };
      return new Promise((resolve) => {
        socket.onopen = () => {
          trends.get(`step_${step}`)?.add(Date.now() - started);
          resolve(connection);
        };
        socket.onerror = () => resolve(null);
      });
    },
    check(name, ok) {
      return check(ok, { [name]: (v) => v === true });
    },
    trend(name, value) {
      trends.get(name)?.add(value);
    },
    count(name, n = 1) {
      counters.get(name)?.add(n);
    },
    // k6 VUs share nothing: the facts the runner gathers across users have no place to go here.
    record() {},
    sleep: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)),
    now: () => Date.now(),
    log: (message) => console.log(message),
  });

  const options = {
    setupTimeout: env.LOADTEST_SETUP_TIMEOUT ?? '600s',
    scenarios: Object.fromEntries(
      Object.entries(phases).map(([name, p]) => [
        name,
        p.executor === 'constant-arrival-rate'
          ? {
              executor: 'constant-arrival-rate',
              exec: p.exec,
              rate: p.rate,
              timeUnit: '1s',
              duration: `${p.duration}s`,
              preAllocatedVUs: Math.min(p.maxVUs, Math.max(1, Math.ceil((p.rate ?? 1) * 2))),
              maxVUs: p.maxVUs,
              startTime: `${p.startTime ?? 0}s`,
              gracefulStop: `${p.gracefulStop ?? 30}s`,
            }
          : {
              executor: 'shared-iterations',
              exec: p.exec,
              iterations: p.iterations,
              vus: p.maxVUs,
              startTime: `${p.startTime ?? 0}s`,
              maxDuration: `${(p.duration ?? 600) + (p.gracefulStop ?? 30)}s`,
            },
      ]),
    ),
    thresholds: scenario.thresholds(env),
  };

  const step = (name: string) => {
    const fn: Step<D> | undefined = scenario.steps[name];
    if (!fn) throw new Error(`${scenario.name} has no step ${name}`);
    return (data: D) => fn(ctx(), data);
  };

  return {
    options,
    step,
    setup: () => scenario.setup(ctx(), apiProvisioner),
    teardown: (data: D) => scenario.verify(ctx(), data),
    handleSummary: (data: SummaryData) => summaryFiles(scenario.name, data),
  };
}

interface SummaryData {
  metrics: Record<string, { type: string; values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> }>;
}

/** JSON (k6's own summary data) and a small HTML table, under LOADTEST_RESULTS_DIR (default loadtest/results). */
function summaryFiles(name: string, data: SummaryData): Record<string, string> {
  const dir = env.LOADTEST_RESULTS_DIR ?? 'loadtest/results';
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const rows = Object.entries(data.metrics)
    .map(([metric, m]) => {
      const failed = Object.values(m.thresholds ?? {}).some((t) => !t.ok);
      const values = Object.entries(m.values)
        .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(2)}`)
        .join(', ');
      return `<tr${failed ? ' style="background:#ffe3e3"' : ''}><td>${metric}</td><td>${m.type}</td><td>${values}</td></tr>`;
    })
    .join('');
  const failed = Object.entries(data.metrics).flatMap(([metric, m]) =>
    Object.entries(m.thresholds ?? {})
      .filter(([, t]) => !t.ok)
      .map(([expr]) => `${metric} ${expr}`),
  );
  return {
    [`${dir}/k6-${name}-${stamp}.json`]: JSON.stringify(data, null, 2),
    [`${dir}/k6-${name}-${stamp}.html`]: `<!doctype html><html><head><meta charset="utf-8"><title>k6 ${name}</title></head><body><h1>k6 ${name}: ${failed.length ? 'FAILED' : 'passed'}</h1><table border="1" cellpadding="3">${rows}</table></body></html>`,
    stdout: `k6 ${name}: ${failed.length ? `thresholds failed: ${failed.join('; ')}` : 'every threshold passed'}\n`,
  };
}
