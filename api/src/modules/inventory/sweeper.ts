/**
 * Expires holds and pending reservations past their time every `intervalMs`. Several API instances
 * may run one each: the service locks what it sweeps with SKIP LOCKED. A sweep never overlaps the
 * previous one (timeouts, not an interval), and `stop` waits for the one in flight.
 */
export function createSweeper(service: { sweepOnce(): Promise<unknown> }, intervalMs: number, onError: (err: unknown) => void) {
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = true;

  const schedule = () => {
    timer = setTimeout(() => {
      inFlight = service
        .sweepOnce()
        .then(() => undefined, onError)
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
