// The runner's metrics, named and evaluated as k6 names and evaluates them, so the same thresholds
// hold in both: trends (ms samples), counters, rates (checks, http_req_failed).
import type { Thresholds } from '../scenarios/adapter.ts';

export interface Sample {
  /** ms since the run started */
  t: number;
  v: number;
}

export class Metrics {
  readonly trends = new Map<string, Sample[]>();
  readonly counters = new Map<string, number>();
  readonly rates = new Map<string, { pass: number; fail: number }>();
  readonly checks = new Map<string, { pass: number; fail: number }>();
  readonly statuses = new Map<string, number>();
  readonly errors = new Map<string, number>();
  constructor(readonly startedAt = Date.now()) {}

  trend(name: string, v: number) {
    let xs = this.trends.get(name);
    if (!xs) this.trends.set(name, (xs = []));
    xs.push({ t: Date.now() - this.startedAt, v });
  }
  count(name: string, n = 1) {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }
  rate(name: string, ok: boolean) {
    let r = this.rates.get(name);
    if (!r) this.rates.set(name, (r = { pass: 0, fail: 0 }));
    if (ok) r.pass++;
    else r.fail++;
  }
  check(name: string, ok: boolean) {
    this.rate('checks', ok);
    let c = this.checks.get(name);
    if (!c) this.checks.set(name, (c = { pass: 0, fail: 0 }));
    if (ok) c.pass++;
    else c.fail++;
  }
  /** A bounded tally of what went wrong (status by step, error messages), for the summary. */
  error(key: string) {
    if (this.errors.size < 200 || this.errors.has(key)) this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface TrendValues {
  count: number;
  avg: number;
  min: number;
  med: number;
  max: number;
  'p(90)': number;
  'p(95)': number;
  'p(99)': number;
}

export function trendValues(samples: Sample[]): TrendValues {
  const sorted = samples.map((s) => s.v).sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    avg: sorted.length ? sum / sorted.length : NaN,
    min: sorted[0] ?? NaN,
    med: percentile(sorted, 50),
    max: sorted[sorted.length - 1] ?? NaN,
    'p(90)': percentile(sorted, 90),
    'p(95)': percentile(sorted, 95),
    'p(99)': percentile(sorted, 99),
  };
}

export interface ThresholdResult {
  metric: string;
  expression: string;
  actual: number;
  ok: boolean;
}

const EXPR = /^\s*(avg|min|med|max|count|rate|p\((\d+(?:\.\d+)?)\))\s*(<=|>=|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** Evaluates k6 threshold expressions against the run's metrics. A metric never recorded counts as zero samples. */
export function evaluateThresholds(m: Metrics, thresholds: Thresholds): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  for (const [metric, expressions] of Object.entries(thresholds)) {
    for (const expression of expressions) {
      const match = EXPR.exec(expression);
      if (!match) throw new Error(`threshold ${metric}: cannot read ${expression}`);
      const [, agg, p, op, limitText] = match;
      const limit = Number(limitText);
      let actual: number;
      if (m.trends.has(metric)) {
        const values = trendValues(m.trends.get(metric)!);
        actual =
          agg === 'count'
            ? values.count
            : p
              ? (values[`p(${p})` as 'p(95)'] ??
                percentile(
                  m.trends
                    .get(metric)!
                    .map((s) => s.v)
                    .sort((a, b) => a - b),
                  Number(p),
                ))
              : values[agg as 'avg'];
      } else if (m.rates.has(metric)) {
        const r = m.rates.get(metric)!;
        actual = agg === 'count' ? r.pass : r.pass + r.fail === 0 ? 0 : r.pass / (r.pass + r.fail);
      } else {
        actual = m.counters.get(metric) ?? 0;
        if (agg !== 'count' && agg !== 'rate') actual = NaN; // a trend that never got a sample
      }
      const ok =
        !Number.isNaN(actual) &&
        {
          '<': actual < limit,
          '<=': actual <= limit,
          '>': actual > limit,
          '>=': actual >= limit,
          '==': actual === limit,
          '!=': actual !== limit,
        }[op as '<'];
      out.push({ metric, expression, actual, ok });
    }
  }
  return out;
}

/** A worker's metrics as plain data, for the parent process to merge. */
export interface MetricsData {
  trends: Array<[string, Sample[]]>;
  counters: Array<[string, number]>;
  rates: Array<[string, { pass: number; fail: number }]>;
  checks: Array<[string, { pass: number; fail: number }]>;
  errors: Array<[string, number]>;
}

export function metricsData(m: Metrics): MetricsData {
  return { trends: [...m.trends], counters: [...m.counters], rates: [...m.rates], checks: [...m.checks], errors: [...m.errors] };
}

export function mergeMetrics(into: Metrics, d: MetricsData) {
  for (const [k, xs] of d.trends) for (const s of xs) (into.trends.get(k) ?? into.trends.set(k, []).get(k)!).push(s);
  for (const [k, n] of d.counters) into.count(k, n);
  const add = (map: Map<string, { pass: number; fail: number }>, k: string, r: { pass: number; fail: number }) => {
    const cur = map.get(k) ?? { pass: 0, fail: 0 };
    map.set(k, { pass: cur.pass + r.pass, fail: cur.fail + r.fail });
  };
  for (const [k, r] of d.rates) add(into.rates, k, r);
  for (const [k, r] of d.checks) add(into.checks, k, r);
  for (const [k, n] of d.errors) into.errors.set(k, (into.errors.get(k) ?? 0) + n);
}
