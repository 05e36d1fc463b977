// A local, TossPayments-compatible payment provider for development, tests and load tests: the
// Core API paths TIKETI uses, Basic auth with a test secret key, Toss's `{ code, message }` errors
// and statuses, Idempotency-Key replay, `TossPayments-Test-Code`, and one extra route that plays
// the buyer approving in the payment window (no browser exists in a test). Its record of charges is
// in memory, per process, and readable (`charges()`, GET /charges) so tests can check every charge.
//
// Facts it follows: shared/reference/tosspayments.md. Where Toss is undocumented (the code for a
// confirm whose amount differs from the session) it answers what one public integration reports.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';

/** Toss error codes the sandbox answers with, and their HTTP status. */
export const TOSS_ERRORS: Record<string, number> = {
  ALREADY_PROCESSED_PAYMENT: 400,
  PROVIDER_ERROR: 400,
  INVALID_REQUEST: 400,
  INVALID_API_KEY: 400,
  BELOW_MINIMUM_AMOUNT: 400,
  EXCEED_MAX_AMOUNT: 400,
  DUPLICATED_ORDER_ID: 400,
  INVALID_CARD_EXPIRATION: 400,
  INVALID_STOPPED_CARD: 400,
  EXCEED_MAX_DAILY_PAYMENT_COUNT: 400,
  NOT_SUPPORTED_INSTALLMENT_PLAN_CARD_OR_MERCHANT: 400,
  INVALID_CARD_INSTALLMENT_PLAN: 400,
  NOT_AVAILABLE_PAYMENT: 400,
  INVALID_CARD_NUMBER: 400,
  INVALID_IDEMPOTENCY_KEY: 400,
  ALREADY_CANCELED_PAYMENT: 400,
  NOT_MATCHES_REFUNDABLE_AMOUNT: 400,
  INVALID_REFUND_ACCOUNT_INFO: 400,
  UNAUTHORIZED_KEY: 401,
  REJECT_ACCOUNT_PAYMENT: 403,
  REJECT_CARD_COMPANY: 403,
  REJECT_CARD_PAYMENT: 403,
  FORBIDDEN_REQUEST: 403,
  FDS_ERROR: 403,
  EXCEED_MAX_AMOUNT_PER_DAY: 403,
  INCORRECT_BASIC_AUTH_FORMAT: 403,
  NOT_CANCELABLE_AMOUNT: 403,
  NOT_CANCELABLE_PAYMENT: 403,
  FORBIDDEN_CONSECUTIVE_REQUEST: 403,
  NOT_FOUND_PAYMENT: 404,
  NOT_FOUND_PAYMENT_SESSION: 404,
  IDEMPOTENT_REQUEST_PROCESSING: 409,
  TOO_MANY_REQUESTS: 429,
  FAILED_PAYMENT_INTERNAL_SYSTEM_PROCESSING: 500,
  FAILED_INTERNAL_SYSTEM_PROCESSING: 500,
  UNKNOWN_PAYMENT_ERROR: 500,
  FAILED_REFUND_PROCESS: 500,
  COMMON_ERROR: 500,
};

const METHODS: Record<string, string> = {
  CARD: '카드',
  EASY_PAY: '간편결제',
  TRANSFER: '계좌이체',
  MOBILE_PHONE: '휴대폰',
  카드: '카드',
  간편결제: '간편결제',
  계좌이체: '계좌이체',
  휴대폰: '휴대폰',
};
const ORDER_ID = /^[A-Za-z0-9_-]{6,64}$/;

export type TossStatus = 'READY' | 'IN_PROGRESS' | 'DONE' | 'CANCELED' | 'PARTIAL_CANCELED' | 'ABORTED' | 'EXPIRED';

export interface TossCancel {
  cancelAmount: number;
  cancelReason: string;
  taxFreeAmount: number;
  refundableAmount: number;
  canceledAt: string;
  transactionKey: string;
  cancelStatus: 'DONE';
}

/** The Payment object as Toss returns it (the fields TIKETI and its tests read, plus the usual rest). */
export interface TossPayment {
  version: string;
  paymentKey: string;
  type: 'NORMAL';
  orderId: string;
  orderName: string;
  mId: string;
  currency: 'KRW';
  method: string | null;
  totalAmount: number;
  balanceAmount: number;
  suppliedAmount: number;
  vat: number;
  taxFreeAmount: number;
  status: TossStatus;
  requestedAt: string;
  approvedAt: string | null;
  lastTransactionKey: string | null;
  isPartialCancelable: boolean;
  secret: string;
  receipt: { url: string } | null;
  checkout: { url: string };
  failure: { code: string; message: string } | null;
  cancels: TossCancel[] | null;
  card: { issuerCode: string; acquirerCode: string; number: string; approveNo: string; amount: number } | null;
  virtualAccount: null;
  easyPay: { provider: string; amount: number; discountAmount: number } | null;
  transfer: { bankCode: string; settlementStatus: string } | null;
  mobilePhone: { customerMobilePhone: string; settlementStatus: string } | null;
}

/** One payment-window session and what became of it: the sandbox's record of a charge. */
export interface SandboxCharge {
  payment: TossPayment;
  /** Confirm requests that reached the sandbox for this order (replays and failures included). */
  confirmRequests: number;
  /** Cancel requests that reached the sandbox for this payment. */
  cancelRequests: number;
  /** With `failWith`, the confirm fails with this Toss code. */
  failWith?: string;
  /** The confirm's answer is sent this long after the charge is made (a provider that times out). */
  delayMs?: number;
  approvedInWindowAt: number;
}

export interface TossSandboxOptions {
  /** How long an approved session can be confirmed (Toss: 10 minutes). */
  sessionTtlMs?: number;
  /** Base URL written into receipt and checkout links. */
  publicUrl?: string;
}

interface Answer {
  status: number;
  body: unknown;
}

class TossError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = TOSS_ERRORS[code] ?? 400,
  ) {
    super(message);
  }
}

const kst = (ms: number) => new Date(ms + 9 * 3600_000).toISOString().replace(/\.\d{3}Z$/, '+09:00');
const token = (prefix: string, bytes = 12) => `${prefix}${randomBytes(bytes).toString('hex')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The sandbox's state and its operations; `tossSandboxRoutes` serves it over HTTP. */
export function createTossSandbox(options: TossSandboxOptions = {}) {
  const sessionTtlMs = options.sessionTtlMs ?? 10 * 60_000;
  const publicUrl = options.publicUrl ?? 'http://localhost/sandbox/toss';
  const byKey = new Map<string, SandboxCharge>();
  const byOrder = new Map<string, SandboxCharge>();
  // Toss keeps keys 15 days and matches (key, secret key, method, path); the body is not compared.
  const idempotency = new LRUCache<string, { state: 'in_flight' } | { state: 'done'; answer: Answer }>({
    max: 100_000,
    ttl: 15 * 24 * 3600_000,
  });

  // Errors queued for an order's next confirms or cancels (POST /faults): failure paths on demand.
  const faults = new Map<string, string[]>();
  const takeFault = (orderId: string, operation: 'confirm' | 'cancel') => faults.get(`${operation}:${orderId}`)?.shift();

  function chargeByKey(paymentKey: string): SandboxCharge {
    const charge = byKey.get(paymentKey);
    if (!charge) throw new TossError('NOT_FOUND_PAYMENT', '존재하지 않는 결제 정보 입니다.');
    return charge;
  }

  function expireIfStale(charge: SandboxCharge) {
    const p = charge.payment;
    if ((p.status === 'IN_PROGRESS' || p.status === 'READY') && Date.now() - charge.approvedInWindowAt > sessionTtlMs) p.status = 'EXPIRED';
  }

  return {
    /** Every charge the sandbox has seen, oldest first (a copy). */
    charges(): SandboxCharge[] {
      return [...byKey.values()].map((c) => structuredClone(c));
    },

    charge(orderId: string): SandboxCharge | undefined {
      const c = byOrder.get(orderId);
      return c ? structuredClone(c) : undefined;
    },

    /** Plays the buyer approving in the payment window; returns what the success redirect carries. */
    approve(input: { orderId: string; amount: number; method?: string; orderName?: string; failWith?: string; delayMs?: number }) {
      if (typeof input.orderId !== 'string' || !ORDER_ID.test(input.orderId))
        throw new TossError('INVALID_REQUEST', 'orderId는 6자 이상 64자 이하의 영문 대소문자, 숫자, -, _ 로 이루어져야 합니다.');
      if (!Number.isSafeInteger(input.amount) || input.amount <= 0) throw new TossError('INVALID_REQUEST', 'amount는 0보다 커야 합니다.');
      const method = METHODS[input.method ?? 'CARD'];
      if (!method) throw new TossError('INVALID_REQUEST', `지원하지 않는 결제수단입니다: ${String(input.method)}`);
      if (method === '카드' && input.amount < 100) throw new TossError('BELOW_MINIMUM_AMOUNT', '카드 결제는 100원 이상부터 가능합니다.');
      if (input.failWith !== undefined && !(input.failWith in TOSS_ERRORS))
        throw new TossError('INVALID_REQUEST', `알 수 없는 failWith 코드입니다: ${input.failWith}`);
      const existing = byOrder.get(input.orderId);
      if (existing && !['IN_PROGRESS', 'READY', 'EXPIRED', 'ABORTED'].includes(existing.payment.status))
        throw new TossError('DUPLICATED_ORDER_ID', '이미 승인 및 취소가 진행된 중복된 주문번호 입니다.');
      if (existing && existing.payment.status !== 'ABORTED') existing.payment.status = 'EXPIRED';
      const now = Date.now();
      const paymentKey = token('tsbx', 16);
      const vat = Math.round(input.amount / 11);
      const charge: SandboxCharge = {
        payment: {
          version: '2022-11-16',
          paymentKey,
          type: 'NORMAL',
          orderId: input.orderId,
          orderName: (input.orderName ?? input.orderId).slice(0, 100),
          mId: 'tvivarepublica',
          currency: 'KRW',
          method,
          totalAmount: input.amount,
          balanceAmount: input.amount,
          suppliedAmount: input.amount - vat,
          vat,
          taxFreeAmount: 0,
          status: 'IN_PROGRESS',
          requestedAt: kst(now),
          approvedAt: null,
          lastTransactionKey: null,
          isPartialCancelable: true,
          secret: token('ps_', 10),
          receipt: null,
          checkout: { url: `${publicUrl}/checkout/${paymentKey}` },
          failure: null,
          cancels: null,
          card: null,
          virtualAccount: null,
          easyPay: null,
          transfer: null,
          mobilePhone: null,
        },
        confirmRequests: 0,
        cancelRequests: 0,
        failWith: input.failWith,
        delayMs: input.delayMs,
        approvedInWindowAt: now,
      };
      byKey.set(paymentKey, charge);
      byOrder.set(input.orderId, charge);
      return { paymentKey, orderId: input.orderId, amount: input.amount };
    },

    /** The next `count` confirms or cancels of the order fail with this Toss code, changing nothing. */
    addFault(input: { orderId: string; operation: 'confirm' | 'cancel'; code: string; count?: number }) {
      if (!(input.code in TOSS_ERRORS)) throw new TossError('INVALID_REQUEST', `알 수 없는 코드입니다: ${String(input.code)}`);
      if (input.operation !== 'confirm' && input.operation !== 'cancel')
        throw new TossError('INVALID_REQUEST', 'operation은 confirm 또는 cancel 입니다.');
      const key = `${input.operation}:${input.orderId}`;
      faults.set(key, [...(faults.get(key) ?? []), ...Array<string>(input.count ?? 1).fill(input.code)]);
      return { queued: faults.get(key)!.length };
    },

    /** POST /v1/payments/confirm. */
    async confirm(body: Record<string, unknown>): Promise<TossPayment> {
      const { paymentKey, orderId, amount } = body;
      const charge = typeof orderId === 'string' ? byOrder.get(orderId) : undefined;
      if (charge) charge.confirmRequests++;
      if (typeof paymentKey !== 'string' || paymentKey.length > 200 || typeof orderId !== 'string' || !Number.isSafeInteger(amount))
        throw new TossError('INVALID_REQUEST', '잘못된 요청입니다.');
      const fault = takeFault(orderId, 'confirm');
      if (fault) throw new TossError(fault, `sandbox fault: ${fault}`);
      const session = byKey.get(paymentKey);
      if (!session || session.payment.orderId !== orderId)
        throw new TossError('NOT_FOUND_PAYMENT_SESSION', '결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다.');
      expireIfStale(session);
      const p = session.payment;
      if (p.status === 'EXPIRED')
        throw new TossError('NOT_FOUND_PAYMENT_SESSION', '결제 시간이 만료되어 결제 진행 데이터가 존재하지 않습니다.');
      if (p.status !== 'IN_PROGRESS') throw new TossError('ALREADY_PROCESSED_PAYMENT', '이미 처리된 결제 입니다.');
      if (amount !== p.totalAmount) throw new TossError('FORBIDDEN_REQUEST', '결제 금액이 결제 요청 금액과 다릅니다.');
      if (session.failWith) {
        const code = session.failWith;
        p.status = 'ABORTED';
        p.failure = { code, message: `sandbox: ${code}` };
        throw new TossError(code, `sandbox: ${code}`);
      }
      const now = Date.now();
      p.status = 'DONE';
      p.approvedAt = kst(now);
      p.lastTransactionKey = token('txrd', 12);
      p.receipt = { url: `${publicUrl}/receipts/${p.paymentKey}` };
      if (p.method === '카드')
        p.card = { issuerCode: '61', acquirerCode: '31', number: '43301234****123*', approveNo: '00000000', amount: p.totalAmount };
      if (p.method === '간편결제') p.easyPay = { provider: '토스페이', amount: p.totalAmount, discountAmount: 0 };
      if (p.method === '계좌이체') p.transfer = { bankCode: '88', settlementStatus: 'COMPLETED' };
      if (p.method === '휴대폰') p.mobilePhone = { customerMobilePhone: '010****1234', settlementStatus: 'COMPLETED' };
      const answer = structuredClone(p);
      // The charge is made; only the answer is late (a read timeout on the caller's side).
      if (session.delayMs) await sleep(session.delayMs);
      return answer;
    },

    get(paymentKey: string): TossPayment {
      const c = chargeByKey(paymentKey);
      expireIfStale(c);
      return structuredClone(c.payment);
    },

    getByOrder(orderId: string): TossPayment {
      const c = byOrder.get(orderId);
      if (!c) throw new TossError('NOT_FOUND_PAYMENT', '존재하지 않는 결제 정보 입니다.');
      expireIfStale(c);
      return structuredClone(c.payment);
    },

    /** POST /v1/payments/{paymentKey}/cancel: full (no cancelAmount) or partial. */
    cancel(paymentKey: string, body: Record<string, unknown>): TossPayment {
      const c = chargeByKey(paymentKey);
      c.cancelRequests++;
      const fault = takeFault(c.payment.orderId, 'cancel');
      if (fault) throw new TossError(fault, `sandbox fault: ${fault}`);
      const { cancelReason, cancelAmount, refundableAmount } = body;
      if (typeof cancelReason !== 'string' || cancelReason.length === 0 || cancelReason.length > 200)
        throw new TossError('INVALID_REQUEST', '취소 사유(cancelReason)는 필수입니다.');
      if (cancelAmount !== undefined && (!Number.isSafeInteger(cancelAmount) || (cancelAmount as number) <= 0))
        throw new TossError('INVALID_REQUEST', 'cancelAmount는 0보다 커야 합니다.');
      const p = c.payment;
      if (p.status === 'CANCELED') throw new TossError('ALREADY_CANCELED_PAYMENT', '이미 취소된 결제 입니다.');
      if (p.status !== 'DONE' && p.status !== 'PARTIAL_CANCELED')
        throw new TossError('NOT_CANCELABLE_PAYMENT', '취소 할 수 없는 결제 입니다.');
      if (refundableAmount !== undefined && refundableAmount !== p.balanceAmount)
        throw new TossError('NOT_MATCHES_REFUNDABLE_AMOUNT', '잔액 결과가 일치하지 않습니다.');
      const amount = (cancelAmount as number | undefined) ?? p.balanceAmount;
      if (amount > p.balanceAmount) throw new TossError('NOT_CANCELABLE_AMOUNT', '취소 할 수 없는 금액 입니다.');
      const transactionKey = token('txrd', 12);
      p.balanceAmount -= amount;
      p.status = p.balanceAmount === 0 ? 'CANCELED' : 'PARTIAL_CANCELED';
      p.lastTransactionKey = transactionKey;
      p.cancels = [
        ...(p.cancels ?? []),
        {
          cancelAmount: amount,
          cancelReason,
          taxFreeAmount: 0,
          refundableAmount: p.balanceAmount,
          canceledAt: kst(Date.now()),
          transactionKey,
          cancelStatus: 'DONE',
        },
      ];
      return structuredClone(p);
    },

    /** Toss-style idempotency around one POST: a repeat replays, a repeat in flight answers 409. */
    async idempotent(scope: string, key: string | undefined, work: () => Promise<Answer>): Promise<Answer> {
      if (key === undefined) return work();
      if (key.length === 0 || key.length > 300) throw new TossError('INVALID_IDEMPOTENCY_KEY', '멱등키가 올바르지 않습니다.');
      const storeKey = `${scope}\n${key}`;
      const stored = idempotency.get(storeKey);
      if (stored?.state === 'in_flight')
        throw new TossError('IDEMPOTENT_REQUEST_PROCESSING', '이전 멱등 요청이 처리 중입니다. 잠시 후 다시 시도해 주세요.');
      if (stored?.state === 'done') return stored.answer;
      idempotency.set(storeKey, { state: 'in_flight' });
      try {
        const answer = await work();
        // Answers are replayed, refusals included; a 5xx is not kept, so a retry can succeed.
        if (answer.status < 500) idempotency.set(storeKey, { state: 'done', answer });
        else idempotency.delete(storeKey);
        return answer;
      } catch (err) {
        idempotency.delete(storeKey);
        throw err;
      }
    },
  };
}

export type TossSandbox = ReturnType<typeof createTossSandbox>;

/** The secret key of the Basic auth header, or a Toss auth error. The sandbox takes test keys only. */
function secretKeyOf(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header?.startsWith('Basic ')) throw new TossError('UNAUTHORIZED_KEY', '인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.');
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new TossError('INCORRECT_BASIC_AUTH_FORMAT', '잘못된 요청입니다. ":" 를 포함해 인코딩해주세요.');
  const key = decoded.slice(0, colon);
  if (!/^test_(g)?sk_[A-Za-z0-9_]+$/.test(key))
    throw new TossError('UNAUTHORIZED_KEY', '인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.');
  return key;
}

const asRecord = (body: unknown): Record<string, unknown> =>
  body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};

/**
 * The sandbox over HTTP, with the paths of the Toss Core API (`/v1/payments/...`) relative to where
 * it is registered, plus `POST /approve` (the buyer in the payment window) and `GET /charges` (its
 * record). Hidden from TIKETI's spec: it is a stand-in for another company's API.
 */
export async function tossSandboxRoutes(app: FastifyInstance, opts: { sandbox: TossSandbox }) {
  const { sandbox } = opts;
  const hide = { schema: { hide: true } };

  app.setErrorHandler((err: Error & { statusCode?: number }, _request, reply) => {
    if (err instanceof TossError) return reply.status(err.status).send({ code: err.code, message: err.message });
    if ((err.statusCode ?? 500) < 500) return reply.status(400).send({ code: 'INVALID_REQUEST', message: err.message });
    return reply.status(500).send({ code: 'FAILED_INTERNAL_SYSTEM_PROCESSING', message: '내부 시스템 처리 작업이 실패했습니다.' });
  });
  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ code: 'NOT_FOUND', message: '존재하지 않는 API 입니다.' }));

  /** Auth, then the forced error of `TossPayments-Test-Code` (test keys only, as at Toss). */
  const authorize = (request: FastifyRequest): string => {
    const key = secretKeyOf(request);
    const testCode = request.headers['tosspayments-test-code'];
    if (typeof testCode === 'string' && testCode) {
      if (!(testCode in TOSS_ERRORS)) throw new TossError('INVALID_REQUEST', `알 수 없는 테스트 코드입니다: ${testCode}`);
      throw new TossError(testCode, `sandbox test code: ${testCode}`);
    }
    return key;
  };
  const send = (reply: FastifyReply, answer: Answer) => reply.status(answer.status).send(answer.body);
  const idempotencyKey = (request: FastifyRequest) => {
    const key = request.headers['idempotency-key'];
    return typeof key === 'string' ? key : undefined;
  };
  /** A POST under Toss idempotency: 4xx refusals are replayed too; in-flight, auth and 5xx answers are not. */
  const post = async (request: FastifyRequest, reply: FastifyReply, work: () => Promise<unknown>) => {
    const key = authorize(request);
    const answer = await sandbox.idempotent(`${key}\nPOST\n${request.routeOptions.url}`, idempotencyKey(request), async () => {
      try {
        return { status: 200, body: await work() };
      } catch (err) {
        if (err instanceof TossError) return { status: err.status, body: { code: err.code, message: err.message } };
        throw err;
      }
    });
    return send(reply, answer);
  };

  app.post('/v1/payments/confirm', hide, (request, reply) => post(request, reply, () => sandbox.confirm(asRecord(request.body))));
  app.post('/v1/payments/:paymentKey/cancel', hide, (request, reply) =>
    post(request, reply, async () => sandbox.cancel((request.params as { paymentKey: string }).paymentKey, asRecord(request.body))),
  );
  app.get('/v1/payments/orders/:orderId', hide, async (request) => {
    authorize(request);
    return sandbox.getByOrder((request.params as { orderId: string }).orderId);
  });
  app.get('/v1/payments/:paymentKey', hide, async (request) => {
    authorize(request);
    return sandbox.get((request.params as { paymentKey: string }).paymentKey);
  });

  app.post('/approve', hide, async (request) => {
    const body = asRecord(request.body);
    return sandbox.approve({
      orderId: body.orderId as string,
      amount: body.amount as number,
      method: body.method as string | undefined,
      orderName: body.orderName as string | undefined,
      failWith: body.failWith as string | undefined,
      delayMs: typeof body.delayMs === 'number' ? body.delayMs : undefined,
    });
  });
  app.post('/faults', hide, async (request) => {
    const body = asRecord(request.body);
    return sandbox.addFault({
      orderId: String(body.orderId),
      operation: body.operation as 'confirm' | 'cancel',
      code: String(body.code),
      count: typeof body.count === 'number' ? body.count : undefined,
    });
  });
  app.get('/charges', hide, async () => ({ data: sandbox.charges() }));
}
