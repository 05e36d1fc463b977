/**
 * A background job run every `intervalMs`: the inventory sweeper, the queue admitter, payment
 * reconciliation, the statistics refresh. Rounds never overlap (timeouts, not an interval), a failed
 * round never stops the job, and `stop` waits for the round in flight so shutdown drains cleanly.
 * Several instances may run the same job; each job makes its own rounds safe to run side by side.
 */
export interface PeriodicJob {
  start(): void;
  stop(): Promise<void>;
}

export interface PeriodicJobOptions {
  run: () => Promise<unknown>;
  intervalMs: number;
  onError: (err: unknown) => void;
  /** Report at most one failure per this many ms (an outage fails every round). Default: every one. */
  reportEveryMs?: number;
  /** Delay of the first round after start. Default: intervalMs. */
  firstDelayMs?: number;
}

export function createPeriodicJob({
  run,
  intervalMs,
  onError,
  reportEveryMs = 0,
  firstDelayMs = intervalMs,
}: PeriodicJobOptions): PeriodicJob {
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = true;
  let reportedAt = -Infinity;
  const report = (err: unknown) => {
    if (Date.now() - reportedAt < reportEveryMs) return;
    reportedAt = Date.now();
    onError(err);
  };

  const schedule = (delayMs: number) => {
    timer = setTimeout(() => {
      inFlight = run()
        .then(() => undefined, report)
        .finally(() => {
          inFlight = undefined;
          if (!stopped) schedule(intervalMs);
        });
    }, delayMs);
    timer.unref();
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(firstDelayMs);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
