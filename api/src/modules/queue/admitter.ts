import type { QueueService } from './service.js';

/** How often the admitter looks at the lines; the pace itself is each queue's admitPerSecond (a token bucket). */
export const ADMITTER_INTERVAL_MS = 200;

/**
 * The background admitter of one process (role `admitter`). Any number of processes may run one:
 * each round is a few atomic store scripts (see redis-store.ts), so together they keep every
 * queue's pace and maxActive, skip nobody and admit nobody twice. Rounds never overlap (timeouts,
 * not an interval), and `stop` waits for the one in flight.
 */
export function createAdmitter(
  service: Pick<QueueService, 'admitterTick'>,
  onError: (err: unknown) => void,
  intervalMs = ADMITTER_INTERVAL_MS,
) {
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = true;
  // During an outage every round fails: say so once per LOG_EVERY_MS, not five times a second.
  const LOG_EVERY_MS = 10_000;
  let loggedAt = -Infinity;
  const report = (err: unknown) => {
    if (Date.now() - loggedAt < LOG_EVERY_MS) return;
    loggedAt = Date.now();
    onError(err);
  };

  const schedule = () => {
    timer = setTimeout(() => {
      inFlight = service
        .admitterTick()
        .catch(report)
        .finally(() => {
          inFlight = undefined;
          if (!stopped) schedule();
        });
    }, intervalMs);
    timer.unref();
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
