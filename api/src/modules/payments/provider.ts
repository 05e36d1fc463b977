// What the payment flow needs from a payment provider, independent of TossPayments' wire format.

/** Provider-side status of a payment (TossPayments' names; other providers map onto them). */
export type ProviderStatus =
  'READY' | 'IN_PROGRESS' | 'WAITING_FOR_DEPOSIT' | 'DONE' | 'CANCELED' | 'PARTIAL_CANCELED' | 'ABORTED' | 'EXPIRED';

/** A payment as the provider knows it; `raw` is its full answer (secrets redacted before storing). */
export interface ProviderPayment {
  paymentKey: string;
  orderId: string;
  status: ProviderStatus | string;
  totalAmount: number;
  /** What can still be refunded. */
  balanceAmount: number;
  method: string | null;
  approvedAt: string | null;
  receiptUrl: string | null;
  /** Per-payment secret that authenticates the provider's webhooks. */
  secret: string | null;
  /** Refunds made so far. */
  cancelCount: number;
  failure: { code: string; message: string } | null;
  raw: Record<string, unknown>;
}

/**
 * How a provider call ended when it did not return a payment:
 * - `rejected`: the provider answered and refused (a card declined, a refund not possible): final.
 * - `unknown`: it may or may not have happened (timeout, 5xx, connection lost after sending):
 *   reconcile from the provider's record, never guess.
 * - `not_sent`: it certainly did not reach the provider (circuit open, connection refused).
 */
export type ProviderOutcome = 'rejected' | 'unknown' | 'not_sent';

export class ProviderError extends Error {
  constructor(
    /** The provider's code (e.g. REJECT_CARD_COMPANY), or ours for transport failures (TIMEOUT, NETWORK, CIRCUIT_OPEN). */
    readonly code: string,
    message: string,
    readonly outcome: ProviderOutcome,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** Written to payment_logs for every provider call (one entry per attempt). */
export interface ProviderCallLog {
  action: 'confirm' | 'cancel' | 'lookup';
  method: string;
  endpoint: string;
  orderId: string;
  idempotencyKey: string | null;
  attempt: number;
  requestBody: unknown;
  responseStatus: number | null;
  responseBody: unknown;
  errorCode: string | null;
  errorMessage: string | null;
  durationMs: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface PaymentProvider {
  readonly name: 'tosspayments';
  /** The key storefronts open the payment window with (never the secret key). */
  readonly clientKey: string;
  confirm(input: { paymentKey: string; orderId: string; amount: number; idempotencyKey: string }): Promise<ProviderPayment>;
  getByOrderId(orderId: string): Promise<ProviderPayment>;
  getByPaymentKey(paymentKey: string, orderId: string): Promise<ProviderPayment>;
  /** Full refund without `amount`. */
  cancel(input: { paymentKey: string; orderId: string; reason: string; amount?: number; idempotencyKey: string }): Promise<ProviderPayment>;
  breakerState(): BreakerState;
  close(): Promise<void>;
}

const SECRET_FIELDS = /secret|password|accountnumber|customermobilephone|cardnumber|authorization/i;

/** A copy with secret-bearing fields replaced, for payment_logs and provider_response. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELDS.test(k) && v !== null ? '[redacted]' : redact(v);
  return out;
}
