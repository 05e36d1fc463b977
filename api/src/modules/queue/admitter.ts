import { createPeriodicJob } from '../../infra/periodic-job.js';
import type { QueueService } from './service.js';

/** How often the admitter looks at the lines; the pace itself is each queue's admitPerSecond (a token bucket). */
export const ADMITTER_INTERVAL_MS = 200;

/**
 * The background admitter of one process (role `admitter`). Any number of processes may run one:
 * each round is a few atomic store scripts (see redis-store.ts), so together they keep every
 * queue's pace and maxActive, skip nobody and admit nobody twice.
 */
export function createAdmitter(
  service: Pick<QueueService, 'admitterTick'>,
  onError: (err: unknown) => void,
  intervalMs = ADMITTER_INTERVAL_MS,
) {
  // During an outage every round fails: say so once per 10 s, not five times a second.
  return createPeriodicJob({ run: () => service.admitterTick(), intervalMs, onError, reportEveryMs: 10_000 });
}
