// The one interface every scenario's steps are written against. Two implementations: k6
// (loadtest/k6/adapter.ts, for users with k6) and the in-repo runner on undici + ws
// (loadtest/runner/adapter.ts, what `npm run loadtest:smoke` and CI use). Scenario code imports
// nothing else, so it runs unchanged in k6's runtime (no Node APIs, no URL, no timers of its own).

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path under the API base URL (`/v1/...`), or an absolute URL (the payment sandbox). */
  path: string;
  /** Bearer token. */
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** The step this request belongs to: its latency goes to the trend `step_<step>`. */
  step: string;
  /** Statuses that are an expected answer, not a failed request (default: 2xx and 3xx). */
  expect?: number[];
}

export interface HttpResponse {
  status: number;
  /** Parsed JSON body (`{}` when empty or not JSON). */
  body: Record<string, unknown>;
  /** Milliseconds from sending the request to the end of the body. */
  durationMs: number;
}

export interface WsConnection {
  send(message: object): void;
  /** Resolves with the first message (past or future) that matches, or null after `timeoutMs`. */
  next(predicate: (m: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown> | null>;
  close(): void;
}

/** What a step can do. One per virtual user (k6) or per iteration (runner). */
export interface Ctx {
  /** Configuration by environment (k6 `__ENV`, the runner's `process.env`). */
  env: Record<string, string | undefined>;
  /** API base URL, no trailing slash (`http://127.0.0.1:3000`). */
  apiUrl: string;
  /** Realtime base URL (`ws://127.0.0.1:3001`). */
  realtimeUrl: string;
  /** The payment sandbox's base URL (its `/approve` plays the buyer in the payment window). */
  sandboxUrl: string;
  /** Index of this iteration among all iterations of its phase (0, 1, 2 ... across VUs). */
  iteration: number;
  http(req: HttpRequest): Promise<HttpResponse>;
  /** Opens `realtimeUrl + path`; null if the upgrade failed. */
  ws(path: string, step: string): Promise<WsConnection | null>;
  /** Records a check (counted in `checks`, failures fail the `checks` threshold). */
  check(name: string, ok: boolean): boolean;
  /** A latency or duration sample (milliseconds) of a declared trend. */
  trend(name: string, value: number): void;
  /** Adds to a declared counter. */
  count(name: string, n?: number): void;
  /**
   * Keeps a fact for the checks after the run (the runner collects them from every user; k6 has no
   * place to gather them and drops them): how admission order is checked across users.
   */
  record(kind: string, value: Record<string, unknown>): void;
  sleep(seconds: number): Promise<void>;
  now(): number;
  log(message: string): void;
}

/** An open-model phase: iterations start at `rate` per second whatever the answers, as k6's arrival-rate executors do. */
export interface Phase {
  /** Name of the exported step function it runs. */
  exec: string;
  executor: 'constant-arrival-rate' | 'shared-iterations';
  /** constant-arrival-rate: iterations started per second. */
  rate?: number;
  /** constant-arrival-rate: seconds. */
  duration?: number;
  /** shared-iterations: how many iterations in all. */
  iterations?: number;
  /** Concurrent iterations at most; further arrivals are dropped (counted in `dropped_iterations`). */
  maxVUs: number;
  /** Seconds after the start of the run. */
  startTime?: number;
  /** Seconds the phase may run past its duration for iterations in flight. */
  gracefulStop?: number;
}

/** k6 threshold expressions: `p(95)<500`, `p(99)<1500`, `rate>0.99`, `rate<0.01`, `count==0`, `avg<100`, `max<5000`. */
export type Thresholds = Record<string, string[]>;

export type Step<D> = (ctx: Ctx, data: D) => Promise<void>;

export interface Scenario<D> {
  name: string;
  /** One line: what it measures. */
  description: string;
  /** Trends (ms) and counters the steps record; k6 must declare them before the run. */
  trends: string[];
  counters: string[];
  phases(env: Record<string, string | undefined>): Record<string, Phase>;
  thresholds(env: Record<string, string | undefined>): Thresholds;
  /** Creates what the run needs (event, seats, users) through the API; returns data every step gets. */
  setup(ctx: Ctx, provision: Provisioner): Promise<D>;
  steps: Record<string, Step<D>>;
  /** After the run, through the API and the sandbox: the domain promises, as counters (0 = kept). */
  verify(ctx: Ctx, data: D): Promise<void>;
}

export interface TestUser {
  userId: string;
  token: string;
}

/**
 * How setup gets its buyers. Through the API by default (registration hashes passwords: slow); the
 * runner, owning the database, inserts them with SQL when `LOADTEST_DATABASE_URL` is set.
 */
export interface Provisioner {
  users(ctx: Ctx, count: number): Promise<TestUser[]>;
}
