// One worker process of the runner (LOADTEST_WORKERS > 1): runs its share of every phase's
// arrivals (iterations i with i mod workers = its index) and sends its metrics and records back.
// Workers exist because one process may hold at most 20,000 open files on this machine, and the
// full on-sale keeps 50,000 buyers on the live channel at once.
import type { Scenario } from '../scenarios/adapter.ts';
import { SCENARIOS } from '../scenarios/index.ts';
import { createAgent, createCtx, type Targets } from './adapter.js';
import { runPhase } from './executor.js';
import { Metrics, metricsData } from './metrics.js';

interface Job {
  scenario: string;
  env: Record<string, string | undefined>;
  targets: Targets;
  data: unknown;
  index: number;
  of: number;
  startedAt: number;
}

process.once('message', (job: Job) => {
  void run(job).then(
    (result) => process.send!(result, () => process.exit(0)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});

async function run(job: Job) {
  const scenario = SCENARIOS[job.scenario] as Scenario<unknown>;
  const metrics = new Metrics(job.startedAt);
  const records: Array<{ kind: string; value: Record<string, unknown> }> = [];
  const phases = scenario.phases(job.env);
  const maxVUs = Object.values(phases).reduce((a, p) => a + p.maxVUs, 0);
  const agent = createAgent(Math.min(2000, Math.max(16, Math.ceil(maxVUs / job.of))));
  await Promise.all(
    Object.values(phases).map((phase) =>
      runPhase(
        phase,
        metrics,
        (i) =>
          scenario.steps[phase.exec]!(
            createCtx({
              env: job.env,
              targets: job.targets,
              iteration: i,
              metrics,
              agent,
              records: { push: (kind, value) => records.push({ kind, value }) },
            }),
            job.data,
          ),
        { index: job.index, of: job.of },
      ),
    ),
  );
  await agent.close();
  return { metrics: metricsData(metrics), records };
}
