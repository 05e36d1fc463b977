// The in-repo runner: runs scenarios (loadtest/scenarios/) on undici + ws with open-model pacing,
// checks, the scenarios' k6 thresholds, the domain checks, and writes a JSON summary and an HTML
// report per scenario under loadtest/results/. Exits 1 when any threshold or check fails.
//
//   npx tsx loadtest/runner/run.ts [scenario ...|all]       (npm run loadtest -- onsale)
//   LOADTEST_SMOKE=1 ...                                     (npm run loadtest:smoke: every smoke variant)
//
// Target: unset LOADTEST_API_URL = start our own stack (embedded PostgreSQL, redis-server, the Toss
// sandbox, the API). Set it (and LOADTEST_REALTIME_URL, LOADTEST_SANDBOX_URL, the admin's
// LOADTEST_ADMIN_EMAIL / LOADTEST_ADMIN_PASSWORD) to run against a stack that is already up;
// LOADTEST_DATABASE_URL (+ LOADTEST_JWT_SECRET) adds the database checks and fast user creation.
// See loadtest/README.md.
import { fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Provisioner, Scenario } from '../scenarios/adapter.ts';
import { apiProvisioner, isSmoke } from '../scenarios/common.ts';
import { SCENARIOS } from '../scenarios/index.ts';
import { createAgent, createCtx, type Targets } from './adapter.js';
import { checkDomain, type DomainFindings } from './domain-checks.js';
import { runPhase } from './executor.js';
import { Metrics, evaluateThresholds, mergeMetrics, type MetricsData } from './metrics.js';
import { sqlProvisioner } from './provision.js';
import { buildSummary, machine, writeReports, type Summary } from './report.js';
import { startStack, type Stack } from './stack.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const RESULTS_DIR = process.env.LOADTEST_RESULTS_DIR ?? path.join(here, '..', 'results');

/** Where the run goes: our own stack, or the one the environment names. */
export function targetsFromEnv(env: NodeJS.ProcessEnv): Targets | undefined {
  const list = (v: string | undefined) =>
    (v ?? '')
      .split(',')
      .map((u) => u.trim().replace(/\/+$/, ''))
      .filter(Boolean);
  const apiUrls = list(env.LOADTEST_API_URL);
  if (apiUrls.length === 0) return undefined;
  const realtime = list(env.LOADTEST_REALTIME_URL);
  const realtimeUrls = realtime.length ? realtime : apiUrls.map((u) => u.replace(/^http/, 'ws'));
  const sandboxUrl = (env.LOADTEST_SANDBOX_URL ?? `${apiUrls[0]}/sandbox/toss`).replace(/\/+$/, '');
  return { apiUrls, realtimeUrls, sandboxUrl };
}

/** A worker process (worker.ts) running one share of the arrivals. */
function runWorker(job: object): Promise<{ metrics: MetricsData; records: Array<{ kind: string; value: Record<string, unknown> }> }> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(here, 'worker.ts'), {
      execArgv: ['--import', 'tsx'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m) => resolve(m as never));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`load worker exited with ${code}`))));
    child.send(job);
  });
}

function eventIdsOf(data: unknown): string[] {
  const d = data as { event?: { eventId: string }; eventId?: string };
  return [...(d.event ? [d.event.eventId] : []), ...(d.eventId ? [d.eventId] : [])];
}

export async function runScenario(
  scenario: Scenario<unknown>,
  opts: { env: NodeJS.ProcessEnv; targets: Targets; provisioner: Provisioner; databaseUrl?: string; ownStack: boolean },
): Promise<{ summary: Summary; files: { json: string; html: string } }> {
  const { env, targets } = opts;
  const loadBefore = os.loadavg();
  const metrics = new Metrics();
  const records: Array<{ kind: string; value: Record<string, unknown> }> = [];
  const phases = scenario.phases(env);
  const maxVUs = Object.values(phases).reduce((a, p) => a + p.maxVUs, 0);
  const agent = createAgent(Math.min(2000, Math.max(16, maxVUs)));
  const ctxFor = (iteration: number) =>
    createCtx({ env, targets, iteration, metrics, agent, records: { push: (kind, value) => records.push({ kind, value }) } });
  const startedAt = new Date();
  console.log(`\n== ${scenario.name} (${isSmoke(env) ? 'smoke' : 'full'}): ${scenario.description}`);
  const data = await scenario.setup(ctxFor(0), opts.provisioner);
  const t0 = performance.now();
  for (const [name, phase] of Object.entries(phases))
    if (!scenario.steps[phase.exec]) throw new Error(`${scenario.name}: phase ${name} runs ${phase.exec}, which is not a step`);
  const workers = Number(env.LOADTEST_WORKERS ?? 1);
  if (workers > 1) {
    const results = await Promise.all(
      Array.from({ length: workers }, (_, index) =>
        runWorker({ scenario: scenario.name, env, targets, data, index, of: workers, startedAt: metrics.startedAt }),
      ),
    );
    for (const r of results) {
      mergeMetrics(metrics, r.metrics);
      records.push(...r.records);
    }
  } else {
    await Promise.all(Object.values(phases).map((phase) => runPhase(phase, metrics, (i) => scenario.steps[phase.exec]!(ctxFor(i), data))));
  }
  const runSeconds = (performance.now() - t0) / 1000;
  await scenario.verify(ctxFor(0), data);
  const thresholds = { ...scenario.thresholds(env) };
  let domain: DomainFindings | { skipped: string } = { skipped: 'no database (set LOADTEST_DATABASE_URL)' };
  if (opts.databaseUrl) {
    domain = await checkDomain({
      databaseUrl: opts.databaseUrl,
      sandboxUrl: targets.sandboxUrl,
      eventIds: eventIdsOf(data),
      admissions: records
        .filter((r) => r.kind === 'admission' && r.value.joinedBeforeOpen === true)
        .map((r) => ({ position: Number(r.value.position), admittedAtServer: Number(r.value.admittedAtServer) })),
    });
    metrics.count('db_seats_sold_twice', domain.seatsSoldTwice);
    metrics.count('db_ga_below_zero', domain.gaBelowZero);
    metrics.count('db_admission_order_violations', domain.admissionOrderViolations);
    metrics.count('db_payments_lost', domain.paymentsLost);
    for (const name of ['db_seats_sold_twice', 'db_ga_below_zero', 'db_admission_order_violations', 'db_payments_lost'])
      thresholds[name] = ['count==0'];
  }
  const results = evaluateThresholds(metrics, thresholds);
  const extra = scenario.name === 'onsale' ? onsaleFigures(metrics, data, runSeconds, 'seatsUnsold' in domain ? domain : undefined) : {};
  const summary = buildSummary(
    {
      scenario: scenario.name,
      variant: isSmoke(env) ? 'smoke' : 'full',
      startedAt: startedAt.toISOString(),
      seconds: (Date.now() - startedAt.getTime()) / 1000,
      target: { ...targets, ownStack: opts.ownStack },
      machine: machine(loadBefore),
      thresholds: results,
      domain,
      extra,
      ok: results.every((r) => r.ok),
    },
    metrics,
  );
  const files = writeReports(RESULTS_DIR, summary, metrics);
  await agent.close();
  printSummary(summary);
  console.log(`   ${files.json}\n   ${files.html}`);
  return { summary, files };
}

/**
 * The on-sale's headline: sell-out time against the ideal at the configured admission rate. With
 * the database at hand, the sell-out is when it confirmed the last seat (a buyer whose confirm
 * answer came too late still bought); otherwise the last confirm a buyer heard of.
 */
function onsaleFigures(m: Metrics, data: unknown, runSeconds: number, domain: DomainFindings | undefined) {
  const d = data as { event: { seatIds: string[] }; admitRate: number; users: unknown[]; opensAt: number };
  const sold = m.counters.get('seats_bought') ?? 0;
  const soldAt = (m.trends.get('sold_at_ms') ?? []).map((s) => s.v);
  const heardSellout = sold >= d.event.seatIds.length && soldAt.length ? Math.max(...soldAt) / 1000 : null;
  const dbSellout =
    domain && domain.seatsUnsold === 0 && domain.lastConfirmedAtMs !== null ? (domain.lastConfirmedAtMs - d.opensAt) / 1000 : null;
  const selloutSeconds = domain ? dbSellout : heardSellout;
  const idealSeconds = d.event.seatIds.length / d.admitRate;
  return {
    users: d.users.length,
    seats: d.event.seatIds.length,
    admitPerSecond: d.admitRate,
    seatsBoughtHeard: sold,
    seatsSoldInDatabase: domain?.seen.seatsSold,
    selloutSeconds,
    selloutHeardByBuyersSeconds: heardSellout,
    idealSeconds,
    idealOverActual: selloutSeconds ? idealSeconds / selloutSeconds : null,
    runSeconds,
  };
}

function printSummary(s: Summary) {
  const f = (n: number | undefined) =>
    n === undefined || !Number.isFinite(n)
      ? '–'
      : Number.isInteger(n)
        ? String(n)
        : n >= 100
          ? n.toFixed(0)
          : n < 1
            ? n.toFixed(4)
            : n.toFixed(1);
  for (const [name, v] of Object.entries(s.metrics))
    if (v.type === 'trend' && name.startsWith('step_'))
      console.log(
        `   ${name.padEnd(22)} n ${String(v.values.count).padStart(6)}  p50 ${f(v.values.med)}  p95 ${f(v.values['p(95)'])}  p99 ${f(v.values['p(99)'])}  max ${f(v.values.max)} ms`,
      );
  const counters = Object.entries(s.metrics)
    .filter(([, v]) => v.type === 'counter')
    .map(([k, v]) => `${k} ${v.values.count}`);
  console.log(`   ${counters.join(', ')}`);
  if (Object.keys(s.extra).length) console.log(`   ${JSON.stringify(s.extra)}`);
  for (const t of s.thresholds) if (!t.ok) console.log(`   THRESHOLD FAILED ${t.metric} ${t.expression} (actual ${f(t.actual)})`);
  const failedChecks = Object.entries(s.checks).filter(([, c]) => c.fails > 0);
  for (const [name, c] of failedChecks) console.log(`   check failed ${c.fails}×: ${name}`);
  if (!s.ok) for (const [e, n] of Object.entries(s.errors).slice(0, 10)) console.log(`   error ${n}×: ${e}`);
  if ('details' in (s.domain as object)) for (const d of (s.domain as DomainFindings).details) console.log(`   domain: ${d}`);
  console.log(
    `   ${s.ok ? 'PASSED' : 'FAILED'} in ${f(s.seconds)} s (load average ${s.machine.loadAverageBefore.map(f).join(' ')} → ${s.machine.loadAverageAfter.map(f).join(' ')})`,
  );
}

async function main() {
  const args = process.argv.slice(2);
  const names = args.length === 0 || args.includes('all') ? Object.keys(SCENARIOS) : args;
  for (const n of names) if (!SCENARIOS[n]) throw new Error(`no scenario ${n}; there are: ${Object.keys(SCENARIOS).join(', ')}`);
  const env = { ...process.env };
  let targets = targetsFromEnv(env);
  let stack: Stack | undefined;
  let databaseUrl = env.LOADTEST_DATABASE_URL;
  let jwtSecret = env.LOADTEST_JWT_SECRET;
  const started = Date.now();
  if (!targets) {
    stack = await startStack({ instances: Number(env.LOADTEST_API_INSTANCES ?? 1) });
    targets = { apiUrls: stack.apiUrls, realtimeUrls: stack.realtimeUrls, sandboxUrl: stack.sandboxUrl };
    databaseUrl = stack.databaseUrl;
    jwtSecret = stack.jwtSecret;
    env.LOADTEST_ADMIN_EMAIL ??= stack.admin.email;
    env.LOADTEST_ADMIN_PASSWORD ??= stack.admin.password;
  }
  const provisioner = databaseUrl && jwtSecret ? sqlProvisioner(databaseUrl, jwtSecret) : apiProvisioner;
  let failed = 0;
  try {
    for (const name of names) {
      try {
        const { summary } = await runScenario(SCENARIOS[name] as Scenario<unknown>, {
          env,
          targets,
          provisioner,
          databaseUrl,
          ownStack: !!stack,
        });
        if (!summary.ok) failed++;
      } catch (err) {
        failed++;
        console.error(`${name}: ${(err as Error).stack ?? err}`);
      }
    }
  } finally {
    await stack?.stop();
  }
  console.log(`\nloadtest: ${names.length} scenarios in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`loadtest: ${names.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
