import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BreakerState } from './provider.js';

const BREAKER_VALUES: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** Payment metrics on the app's /metrics registry. */
export function createPaymentMetrics(registry: Registry, breakerState: () => BreakerState | undefined) {
  const registers = [registry];
  new Gauge({
    name: 'payment_provider_breaker_state',
    help: 'Circuit breaker in front of the payment provider: 0 closed, 1 half-open, 2 open',
    registers,
    collect() {
      const state = breakerState();
      if (state) this.set(BREAKER_VALUES[state]);
    },
  });
  return {
    confirms: new Counter({
      name: 'payment_confirms_total',
      help: 'Confirms settled, by outcome (confirmed, declined, refunded_reservation_ended)',
      labelNames: ['outcome'],
      registers,
    }),
    failures: new Counter({
      name: 'payment_failures_total',
      help: 'Payment operations that failed, by operation and code (the provider code, or ours)',
      labelNames: ['operation', 'code'],
      registers,
    }),
    refunds: new Counter({ name: 'payment_refunds_total', help: 'Refunds made, full or partial', labelNames: ['kind'], registers }),
    reconciled: new Counter({
      name: 'payment_reconciled_total',
      help: 'Open confirms settled by the reconciliation job from the provider record',
      registers,
    }),
    providerLatency: new Histogram({
      name: 'payment_provider_request_duration_seconds',
      help: 'Latency of each payment provider call attempt, by operation and result (HTTP status or error code)',
      labelNames: ['operation', 'result'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
  };
}

export type PaymentMetrics = ReturnType<typeof createPaymentMetrics>;
