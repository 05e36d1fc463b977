import { createPeriodicJob } from '../../infra/periodic-job.js';

/**
 * Expires holds and pending reservations past their time every `intervalMs`. Several API instances
 * may run one each: the service locks what it sweeps with SKIP LOCKED.
 */
export function createSweeper(service: { sweepOnce(): Promise<unknown> }, intervalMs: number, onError: (err: unknown) => void) {
  return createPeriodicJob({ run: () => service.sweepOnce(), intervalMs, onError });
}
