// Open-model pacing, as k6's arrival-rate executors: iterations start on schedule whatever the
// answers; when `maxVUs` iterations are already in flight, an arrival is dropped and counted in
// `dropped_iterations` (the system fell behind), never queued behind the slow ones.
import type { Phase } from '../scenarios/adapter.ts';
import type { Metrics } from './metrics.js';

export async function runPhase(
  phase: Phase,
  metrics: Metrics,
  iterate: (iteration: number) => Promise<void>,
  /** Share of the arrivals this process runs: iterations i with i % of === index. */
  shard: { index: number; of: number } = { index: 0, of: 1 },
): Promise<void> {
  if (phase.startTime) await new Promise((r) => setTimeout(r, phase.startTime! * 1000));
  const inFlight = new Set<Promise<void>>();
  const maxVUs = Math.max(1, Math.ceil(phase.maxVUs / shard.of));
  const start = (i: number) => {
    if (inFlight.size >= maxVUs) {
      metrics.count('dropped_iterations');
      return;
    }
    const started = performance.now();
    const p = iterate(i)
      .catch((err: unknown) => {
        metrics.count('iteration_errors');
        metrics.error(`iteration: ${(err as Error).message}`);
      })
      .finally(() => {
        metrics.trend('iteration_duration', performance.now() - started);
        metrics.count('iterations');
        inFlight.delete(p);
      });
    inFlight.add(p);
  };

  if (phase.executor === 'shared-iterations') {
    const total = phase.iterations ?? 1;
    let next = shard.index;
    const worker = async () => {
      while (next < total) {
        const i = next;
        next += shard.of;
        await iterate(i).catch((err: unknown) => {
          metrics.count('iteration_errors');
          metrics.error(`iteration: ${(err as Error).message}`);
        });
        metrics.count('iterations');
      }
    };
    await Promise.all(Array.from({ length: maxVUs }, worker));
    return;
  }

  const rate = phase.rate ?? 1;
  const total = Math.round(rate * (phase.duration ?? 1));
  const t0 = performance.now();
  let i = 0;
  // A 5 ms tick that starts every arrival due by now (catching up after a stall of the event loop).
  await new Promise<void>((resolve) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
      for (; i < due; i++) if (i % shard.of === shard.index) start(i);
      if (i >= total) resolve();
      else setTimeout(tick, 5);
    };
    tick();
  });
  // In-flight iterations may finish until the phase's end plus gracefulStop; later ones are abandoned.
  const deadline = (phase.duration ?? 0) * 1000 + (phase.gracefulStop ?? 30) * 1000 - (performance.now() - t0);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    Promise.all([...inFlight]).then(() => false),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(true), Math.max(0, deadline)))),
  ]);
  clearTimeout(timer);
  if (timedOut) metrics.count('interrupted_iterations', inFlight.size);
}
