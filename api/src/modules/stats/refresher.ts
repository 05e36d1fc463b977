import type { StatsService } from './service.js';

/**
 * Refreshes the stats caches (stats.event_stats, stats.daily_stats) every `intervalMs`, in processes
 * with the sweeper role. Timeouts, not an interval, so rounds never overlap; `stop` waits for the
 * one in flight. Several instances may each run one: a round only upserts figures computed from the
 * tables, so two rounds at once write the same answer.
 */
export function createStatsRefresher(
  service: Pick<StatsService, 'refreshCaches'>,
  options: { intervalMs: number; dailyDays: number },
  onError: (err: unknown) => void,
) {
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = true;

  const schedule = (delayMs: number) => {
    timer = setTimeout(() => {
      inFlight = service
        .refreshCaches({ dailyDays: options.dailyDays })
        .then(() => undefined, onError)
        .finally(() => {
          inFlight = undefined;
          if (!stopped) schedule(options.intervalMs);
        });
    }, delayMs);
    timer.unref();
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      // The first round soon after start, so a fresh instance serves cached figures within seconds.
      schedule(Math.min(options.intervalMs, 5000));
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
