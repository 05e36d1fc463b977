import { createPeriodicJob } from '../../infra/periodic-job.js';
import type { StatsService } from './service.js';

/**
 * Refreshes the stats caches (stats.event_stats, stats.daily_stats) every `intervalMs`, in processes
 * with the sweeper role. Several instances may each run one: a round only upserts figures computed
 * from the tables, so two rounds at once write the same answer.
 */
export function createStatsRefresher(
  service: Pick<StatsService, 'refreshCaches'>,
  options: { intervalMs: number; dailyDays: number },
  onError: (err: unknown) => void,
) {
  return createPeriodicJob({
    run: () => service.refreshCaches({ dailyDays: options.dailyDays }),
    intervalMs: options.intervalMs,
    // The first round soon after start, so a fresh instance serves cached figures within seconds.
    firstDelayMs: Math.min(options.intervalMs, 5000),
    onError,
  });
}
