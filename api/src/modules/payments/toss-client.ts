// The TossPayments Core API client on undici: a keep-alive Pool per provider host, Basic auth with
// the secret key, an Idempotency-Key per logical operation, read timeouts, retries only where they
// are safe (lookups, and POSTs under their Idempotency-Key), a circuit breaker (cockatiel) so an
// outage fails fast, and every attempt handed to `log` (payment_logs) with secrets redacted.
import { performance } from 'node:perf_hooks';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  type IPolicy,
} from 'cockatiel';
import { Pool } from 'undici';
import {
  ProviderError,
  redact,
  type BreakerState,
  type PaymentProvider,
  type ProviderCallLog,
  type ProviderOutcome,
  type ProviderPayment,
} from './provider.js';

export const TOSS_PRODUCTION_URL = 'https://api.tosspayments.com';

export interface TossClientOptions {
  /** Base URL, read per call (the sandbox's URL is known only once the API listens). */
  baseUrl: () => string;
  secretKey: string;
  clientKey: string;
  /** Read timeout of one attempt, ms. */
  timeoutMs: number;
  /** Consecutive outage-like failures that open the circuit. */
  breakerThreshold?: number;
  /** How long the circuit stays open before one trial call, ms. */
  halfOpenAfterMs?: number;
  /** Attempts per call where retrying is safe (the first included). */
  maxAttempts?: number;
  log: (entry: ProviderCallLog) => Promise<void>;
  observe?: (action: ProviderCallLog['action'], result: string, seconds: number) => void;
}

// The provider refused because of OUR credentials: nothing was processed, and retrying won't help.
const AUTH_CODES = new Set(['UNAUTHORIZED_KEY', 'INVALID_API_KEY', 'INCORRECT_BASIC_AUTH_FORMAT']);
// Answers that say "try again" (shared/reference/tosspayments.md, Retry policy).
const TRANSIENT_CODES = new Set(['PROVIDER_ERROR', 'COMMON_ERROR', 'FORBIDDEN_CONSECUTIVE_REQUEST', 'IDEMPOTENT_REQUEST_PROCESSING']);
// Transport failures before the request could have been sent.
const NOT_SENT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
const TIMEOUT_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function outcomeOf(status: number, code: string): ProviderOutcome {
  if (AUTH_CODES.has(code)) return 'not_sent';
  if (status === 429 || status >= 500 || TRANSIENT_CODES.has(code)) return 'unknown';
  return 'rejected';
}

/** An attempt that failed for a reason another attempt may not share. */
const isRetryable = (err: unknown) => err instanceof ProviderError && err.outcome !== 'rejected' && !AUTH_CODES.has(err.code);
/** A failure that says the provider (or the way to it) is down, which is what the breaker counts. */
const isOutage = (err: unknown) =>
  err instanceof ProviderError &&
  (err.code === 'TIMEOUT' ||
    err.code === 'NETWORK' ||
    err.code === 'INVALID_RESPONSE' ||
    (err.httpStatus ?? 0) >= 500 ||
    err.httpStatus === 429);

function transportCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code ?? e?.cause?.code;
}

function toPayment(body: Record<string, unknown>): ProviderPayment {
  // Toss adds fields and enum values without a new version: read what we need, keep the rest raw.
  const cancels = Array.isArray(body.cancels) ? body.cancels : [];
  const receipt = body.receipt as { url?: string } | null | undefined;
  const failure = body.failure as { code?: string; message?: string } | null | undefined;
  return {
    paymentKey: String(body.paymentKey),
    orderId: String(body.orderId),
    status: String(body.status),
    totalAmount: Number(body.totalAmount),
    balanceAmount: Number(body.balanceAmount ?? body.totalAmount),
    method: typeof body.method === 'string' ? body.method : null,
    approvedAt: typeof body.approvedAt === 'string' ? body.approvedAt : null,
    receiptUrl: receipt?.url ?? null,
    secret: typeof body.secret === 'string' ? body.secret : null,
    cancelCount: cancels.length,
    failure: failure?.code ? { code: failure.code, message: failure.message ?? '' } : null,
    raw: redact(body) as Record<string, unknown>,
  };
}

export function createTossClient(opts: TossClientOptions): PaymentProvider {
  const pools = new Map<string, Pool>();
  const poolFor = (origin: string) => {
    let pool = pools.get(origin);
    if (!pool) {
      // Keep-alive connections to the provider: a TLS handshake per call would add ~100 ms to every confirm.
      pool = new Pool(origin, { connections: 32, keepAliveTimeout: 30_000, connectTimeout: 5_000 });
      pools.set(origin, pool);
    }
    return pool;
  };
  const authorization = `Basic ${Buffer.from(`${opts.secretKey}:`).toString('base64')}`;

  const breaker = circuitBreaker(handleWhen(isOutage), {
    halfOpenAfter: opts.halfOpenAfterMs ?? 10_000,
    breaker: new ConsecutiveBreaker(opts.breakerThreshold ?? 5),
  });
  const retrying = retry(handleWhen(isRetryable), {
    maxAttempts: (opts.maxAttempts ?? 3) - 1,
    backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1_000 }),
  });

  async function attempt(
    action: ProviderCallLog['action'],
    method: 'GET' | 'POST',
    path: string,
    orderId: string,
    body: unknown,
    idempotencyKey: string | null,
    n: number,
  ): Promise<Record<string, unknown>> {
    const base = new URL(opts.baseUrl());
    const fullPath = `${base.pathname.replace(/\/$/, '')}${path}`;
    const started = performance.now();
    const entry: ProviderCallLog = {
      action,
      method,
      endpoint: path,
      orderId,
      idempotencyKey,
      attempt: n,
      requestBody: body === undefined ? null : redact(body),
      responseStatus: null,
      responseBody: null,
      errorCode: null,
      errorMessage: null,
      durationMs: 0,
    };
    const finish = async (result: string) => {
      entry.durationMs = Math.round(performance.now() - started);
      opts.observe?.(action, result, entry.durationMs / 1000);
      await opts.log(entry);
    };
    let status: number;
    let text: string;
    try {
      const headers: Record<string, string> = { authorization, accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
      const res = await poolFor(base.origin).request({
        method,
        path: fullPath,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      const code = transportCode(err) ?? 'UNKNOWN';
      const error = TIMEOUT_ERRORS.has(code)
        ? new ProviderError('TIMEOUT', `no answer within ${opts.timeoutMs} ms`, 'unknown')
        : new ProviderError('NETWORK', `provider unreachable (${code})`, NOT_SENT_ERRORS.has(code) ? 'not_sent' : 'unknown');
      entry.errorCode = error.code;
      entry.errorMessage = error.message;
      await finish(error.code);
      throw error;
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(text) as Record<string, unknown>;
    } catch {
      parsed = {};
    }
    entry.responseStatus = status;
    entry.responseBody = redact(parsed);
    if (status >= 200 && status < 300 && typeof parsed.paymentKey === 'string') {
      await finish(String(status));
      return parsed;
    }
    const code = typeof parsed.code === 'string' ? parsed.code : status < 300 ? 'INVALID_RESPONSE' : `HTTP_${status}`;
    const message = typeof parsed.message === 'string' ? parsed.message : `provider answered ${status}`;
    entry.errorCode = code;
    entry.errorMessage = message;
    await finish(code);
    throw new ProviderError(code, message, code === 'INVALID_RESPONSE' ? 'unknown' : outcomeOf(status, code), status);
  }

  /** One logical operation: attempts under the breaker, retried only when `safe`. */
  async function call(
    action: ProviderCallLog['action'],
    method: 'GET' | 'POST',
    path: string,
    orderId: string,
    body: unknown,
    idempotencyKey: string | null,
  ): Promise<ProviderPayment> {
    let n = 0;
    const once = () => breaker.execute(() => attempt(action, method, path, orderId, body, idempotencyKey, ++n));
    // A POST is retried only under its Idempotency-Key, so the provider applies it at most once.
    const policy: IPolicy | undefined = method === 'GET' || idempotencyKey ? retrying : undefined;
    try {
      return toPayment(await (policy ? policy.execute(once) : once()));
    } catch (err) {
      if (err instanceof BrokenCircuitError) {
        opts.observe?.(action, 'CIRCUIT_OPEN', 0);
        throw new ProviderError('CIRCUIT_OPEN', 'the payment provider is failing; calls are paused for a moment', 'not_sent');
      }
      throw err;
    }
  }

  return {
    name: 'tosspayments',
    clientKey: opts.clientKey,
    confirm: ({ paymentKey, orderId, amount, idempotencyKey }) =>
      call('confirm', 'POST', '/v1/payments/confirm', orderId, { paymentKey, orderId, amount }, idempotencyKey),
    getByOrderId: (orderId) => call('lookup', 'GET', `/v1/payments/orders/${encodeURIComponent(orderId)}`, orderId, undefined, null),
    getByPaymentKey: (paymentKey, orderId) =>
      call('lookup', 'GET', `/v1/payments/${encodeURIComponent(paymentKey)}`, orderId, undefined, null),
    cancel: ({ paymentKey, orderId, reason, amount, idempotencyKey }) =>
      call(
        'cancel',
        'POST',
        `/v1/payments/${encodeURIComponent(paymentKey)}/cancel`,
        orderId,
        amount === undefined ? { cancelReason: reason } : { cancelReason: reason, cancelAmount: amount },
        idempotencyKey,
      ),
    breakerState(): BreakerState {
      const state = breaker.state;
      if (state === CircuitState.Closed) return 'closed';
      if (state === CircuitState.HalfOpen) return 'half_open';
      return 'open';
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.close()));
      pools.clear();
    },
  };
}
