// Assembles the payments module for app.ts: the provider (TossPayments over HTTP, pointed at the
// real API or at the sandbox), the service, the sandbox when PAYMENTS_PROVIDER=sandbox, and the
// reconciliation job.
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { Config } from '../../config.js';
import type { Db } from '../../infra/db.js';
import { createPeriodicJob } from '../../infra/periodic-job.js';
import type { RealtimePublisher } from '../../realtime/bus.js';
import type { AvailabilityAnnouncer } from '../inventory/availability.js';
import { createPaymentMetrics } from './metrics.js';
import { ProviderError, type PaymentProvider } from './provider.js';
import { paymentsRepository } from './repository.js';
import { createTossSandbox, type TossSandbox } from './sandbox/toss-sandbox.js';
import { createPaymentsService, type PaymentsService } from './service.js';
import { TOSS_PRODUCTION_URL, createTossClient } from './toss-client.js';

/** Test keys of the sandbox; the sandbox accepts any `test_sk_` key. */
export const SANDBOX_KEYS = { secretKey: 'test_sk_tiketi_sandbox', clientKey: 'test_ck_tiketi_sandbox' } as const;

/** Which provider this configuration uses: the sandbox unless in production with a real database. */
export function paymentsProviderOf(config: Config): 'sandbox' | 'toss' {
  return config.PAYMENTS_PROVIDER ?? (config.NODE_ENV === 'production' && config.DATABASE_URL ? 'toss' : 'sandbox');
}

function listeningUrl(server: Server): string | undefined {
  const a = server.address();
  if (!a || typeof a === 'string') return undefined;
  const host = a.address === '0.0.0.0' || a.address === '::' ? '127.0.0.1' : a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `http://${host}:${a.port}`;
}

export interface PaymentsModule {
  service: PaymentsService;
  /** Served under /sandbox/toss when PAYMENTS_PROVIDER=sandbox; undefined otherwise. */
  sandbox: TossSandbox | undefined;
  provider: PaymentProvider | undefined;
  start(): void;
  stop(): Promise<void>;
}

export function createPaymentsModule(deps: {
  config: Config;
  db: Db;
  publisher: RealtimePublisher;
  availability?: AvailabilityAnnouncer;
  registry: Registry;
  /** This API's HTTP server: where it listens, once it does, is the sandbox's default URL. */
  server: Server;
  log: (err: unknown, msg: string) => void;
  warn: (msg: string) => void;
  /** Told of each completed purchase (the waiting room ends the buyer's admission). */
  onPurchased?: (eventId: string, userId: string) => Promise<void>;
}): PaymentsModule {
  const { config, db } = deps;
  const kind = paymentsProviderOf(config);
  const sandbox =
    kind === 'sandbox' ? createTossSandbox({ publicUrl: config.PUBLIC_URL ? `${config.PUBLIC_URL}/sandbox/toss` : undefined }) : undefined;
  const secretKey = config.TOSS_SECRET_KEY ?? (kind === 'sandbox' ? SANDBOX_KEYS.secretKey : undefined);
  const clientKey = config.TOSS_CLIENT_KEY ?? (kind === 'sandbox' ? SANDBOX_KEYS.clientKey : undefined);

  let provider: PaymentProvider | undefined;
  const metrics = createPaymentMetrics(deps.registry, () => provider?.breakerState());
  if (secretKey && clientKey) {
    provider = createTossClient({
      baseUrl: () => {
        if (config.TOSS_API_URL) return config.TOSS_API_URL;
        if (kind === 'toss') return TOSS_PRODUCTION_URL;
        const self = listeningUrl(deps.server);
        if (!self) throw new ProviderError('NETWORK', 'the sandbox is served by this API, which is not listening yet', 'not_sent');
        return `${self}/sandbox/toss`;
      },
      secretKey,
      clientKey,
      timeoutMs: config.TOSS_TIMEOUT_MS,
      log: (entry) => paymentsRepository.insertLog(db, entry).catch((err) => deps.log(err, 'payment log write failed')),
      observe: (action, result, seconds) => metrics.providerLatency.observe({ operation: action, result }, seconds),
    });
  } else {
    deps.warn('PAYMENTS_PROVIDER=toss without TOSS_SECRET_KEY and TOSS_CLIENT_KEY: payment routes answer 503');
  }

  const service = createPaymentsService({
    config,
    db,
    publisher: deps.publisher,
    availability: deps.availability,
    provider,
    metrics,
    log: deps.log,
    onPurchased: deps.onPurchased,
  });

  // Several instances may run reconciliation each: settling is idempotent under the payment row
  // lock and the provider's idempotency keys.
  const reconciliation = createPeriodicJob({
    run: () => service.reconcileOnce(),
    intervalMs: config.PAYMENT_RECONCILE_INTERVAL_MS,
    onError: (err) => deps.log(err, 'payment reconciliation failed'),
  });

  return {
    service,
    sandbox,
    provider,
    start: () => reconciliation.start(),
    async stop() {
      await reconciliation.stop();
      await provider?.close();
    },
  };
}
