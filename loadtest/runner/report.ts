// The run's JSON summary (k6-like: metrics with their values and thresholds) and a small HTML report
// with a latency chart per step (p50/p95/p99 per second over the run), written side by side.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trendValues, type Metrics, type Sample, type ThresholdResult } from './metrics.js';

export interface Summary {
  scenario: string;
  variant: 'smoke' | 'full';
  startedAt: string;
  seconds: number;
  target: { apiUrls: string[]; realtimeUrls: string[]; sandboxUrl: string; ownStack: boolean };
  machine: { cpus: number; loadAverageBefore: number[]; loadAverageAfter: number[]; node: string };
  metrics: Record<string, { type: 'trend' | 'counter' | 'rate'; values: Record<string, number> }>;
  checks: Record<string, { passes: number; fails: number }>;
  thresholds: ThresholdResult[];
  domain: unknown;
  errors: Record<string, number>;
  extra: Record<string, unknown>;
  ok: boolean;
}

export function buildSummary(base: Omit<Summary, 'metrics' | 'checks' | 'errors'>, m: Metrics): Summary {
  const metrics: Summary['metrics'] = {};
  for (const [name, samples] of m.trends) metrics[name] = { type: 'trend', values: { ...trendValues(samples) } };
  for (const [name, n] of m.counters) metrics[name] = { type: 'counter', values: { count: n } };
  for (const [name, r] of m.rates)
    metrics[name] = { type: 'rate', values: { rate: r.pass + r.fail ? r.pass / (r.pass + r.fail) : 0, passes: r.pass, fails: r.fail } };
  const checks = Object.fromEntries([...m.checks].map(([k, v]) => [k, { passes: v.pass, fails: v.fail }]));
  return { ...base, metrics, checks, errors: Object.fromEntries(m.errors) };
}

export const machine = (loadAverageBefore: number[]) => ({
  cpus: os.cpus().length,
  loadAverageBefore,
  loadAverageAfter: os.loadavg(),
  node: process.version,
});

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (n: number) =>
  !Number.isFinite(n)
    ? '–'
    : Number.isInteger(n)
      ? String(n)
      : Math.abs(n) >= 100
        ? n.toFixed(0)
        : Math.abs(n) < 1
          ? n.toFixed(4)
          : n.toFixed(1);

/** p50/p95/p99 per second of the run, as an inline SVG line chart. */
function chart(name: string, samples: Sample[]): string {
  const bySecond = new Map<number, number[]>();
  for (const s of samples) {
    const k = Math.floor(s.t / 1000);
    let xs = bySecond.get(k);
    if (!xs) bySecond.set(k, (xs = []));
    xs.push(s.v);
  }
  const seconds = [...bySecond.keys()].sort((a, b) => a - b);
  if (seconds.length === 0) return '';
  const series = (p: number) =>
    seconds.map((sec) => {
      const xs = bySecond.get(sec)!.sort((a, b) => a - b);
      return { sec, v: xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]! };
    });
  const lines = [
    { p: 50, colour: '#2b8a3e' },
    { p: 95, colour: '#e67700' },
    { p: 99, colour: '#c92a2a' },
  ].map((l) => ({ ...l, points: series(l.p) }));
  const W = 640;
  const H = 180;
  const pad = 40;
  const x0 = seconds[0]!;
  const x1 = Math.max(seconds[seconds.length - 1]!, x0 + 1);
  const yMax = Math.max(1, ...lines.flatMap((l) => l.points.map((p) => p.v)));
  const X = (sec: number) => pad + ((sec - x0) / (x1 - x0)) * (W - pad - 10);
  const Y = (v: number) => H - 20 - (v / yMax) * (H - 35);
  const paths = lines
    .map(
      (l) =>
        `<polyline fill="none" stroke="${l.colour}" stroke-width="1.5" points="${l.points.map((p) => `${X(p.sec).toFixed(1)},${Y(p.v).toFixed(1)}`).join(' ')}"><title>p${l.p}</title></polyline>`,
    )
    .join('');
  return `<figure><figcaption>${esc(name)}: p50 (green), p95 (orange), p99 (red) per second, ms</figcaption>
<svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(name)} latency over the run">
<line x1="${pad}" y1="${H - 20}" x2="${W - 10}" y2="${H - 20}" stroke="#999"/><line x1="${pad}" y1="10" x2="${pad}" y2="${H - 20}" stroke="#999"/>
<text x="2" y="18" font-size="10">${fmt(yMax)}</text><text x="2" y="${H - 22}" font-size="10">0</text>
<text x="${pad}" y="${H - 5}" font-size="10">${x0} s</text><text x="${W - 40}" y="${H - 5}" font-size="10">${x1} s</text>${paths}</svg></figure>`;
}

export function renderHtml(s: Summary, m: Metrics): string {
  const rows = Object.entries(s.metrics)
    .filter(([, v]) => v.type === 'trend')
    .map(
      ([name, v]) =>
        `<tr><td>${esc(name)}</td><td>${v.values.count}</td><td>${fmt(v.values.med!)}</td><td>${fmt(v.values['p(95)']!)}</td><td>${fmt(v.values['p(99)']!)}</td><td>${fmt(v.values.max!)}</td></tr>`,
    )
    .join('');
  const counters = Object.entries(s.metrics)
    .filter(([, v]) => v.type !== 'trend')
    .map(([name, v]) => `<tr><td>${esc(name)}</td><td>${esc(JSON.stringify(v.values))}</td></tr>`)
    .join('');
  const thresholds = s.thresholds
    .map(
      (t) =>
        `<tr class="${t.ok ? 'ok' : 'bad'}"><td>${esc(t.metric)}</td><td>${esc(t.expression)}</td><td>${fmt(t.actual)}</td><td>${t.ok ? 'pass' : 'FAIL'}</td></tr>`,
    )
    .join('');
  const charts = [...m.trends]
    .filter(([name]) => name.startsWith('step_') && name !== 'step_setup' && name !== 'step_verify')
    .map(([name, samples]) => chart(name, samples))
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>TIKETI load: ${esc(s.scenario)} (${s.variant})</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}td:first-child{text-align:left}.bad{background:#ffe3e3}.ok{background:#ebfbee}figure{margin:1em 0}</style></head><body>
<h1>${esc(s.scenario)} (${s.variant}): ${s.ok ? 'passed' : 'FAILED'}</h1>
<p>${esc(s.startedAt)}, ${fmt(s.seconds)} s against ${esc(s.target.apiUrls.join(', '))}${s.target.ownStack ? ' (own stack)' : ''}. Machine: ${s.machine.cpus} CPUs, load average ${s.machine.loadAverageBefore.map(fmt).join(' ')} before, ${s.machine.loadAverageAfter.map(fmt).join(' ')} after; Node ${esc(s.machine.node)}.</p>
<h2>Thresholds</h2><table><tr><th>metric</th><th>threshold</th><th>actual</th><th></th></tr>${thresholds}</table>
<h2>Latency (ms)</h2><table><tr><th>trend</th><th>count</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>${rows}</table>
${charts}
<h2>Counters and rates</h2><table>${counters}</table>
<h2>Domain checks</h2><pre>${esc(JSON.stringify(s.domain, null, 2))}</pre>
<h2>Errors</h2><pre>${esc(JSON.stringify(s.errors, null, 2))}</pre>
</body></html>`;
}

export function writeReports(dir: string, s: Summary, m: Metrics): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = s.startedAt.replace(/[:.]/g, '-');
  const base = path.join(dir, `${s.scenario}-${s.variant}-${stamp}`);
  writeFileSync(`${base}.json`, JSON.stringify(s, null, 2));
  writeFileSync(`${base}.html`, renderHtml(s, m));
  return { json: `${base}.json`, html: `${base}.html` };
}
