import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';
import { pageOf } from '../../pagination.js';
import { ADMIN_PROBLEMS, AUTH_PROBLEMS, Page, StrictObject, problems } from '../../schemas.js';
import { PAYMENT_PAGES } from './repository.js';
import {
  CancelPaymentBody,
  ConfirmPaymentBody,
  MyPaymentsQuery,
  OrderId,
  Payment,
  PaymentKey,
  PaymentsQuery,
  PreparePaymentBody,
  PreparedPayment,
  TossWebhookBody,
  WebhookAck,
} from './schemas.js';
import { toPaymentView, type PaymentsService } from './service.js';

/**
 * A provider outage answers 503 with Retry-After, so clients and the SDK back off; app-wide, since
 * reservation cancels refund through the provider too.
 */
export const paymentOutageHeaders = fp(
  async (app: FastifyInstance) => {
    app.addHook('onError', (_request, reply, err, done) => {
      if (err instanceof AppError && err.code === 'PAYMENT_PROVIDER_UNAVAILABLE')
        reply.header('retry-after', String(err.extra.retryAfterSeconds ?? 5));
      done();
    });
  },
  { name: 'payment-outage-headers' },
);

const IDEMPOTENCY_PROBLEMS = ['IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEY_IN_USE', 'INVALID_IDEMPOTENCY_KEY'] as const;

export const paymentsRoutes: FastifyPluginAsyncTypebox<{ service: PaymentsService }> = async (app, { service }) => {
  for (const schema of [Payment, PreparedPayment, WebhookAck]) app.addSchema(schema);
  const PaymentRef = Type.Ref('Payment');
  const security = [{ bearer: [] }];

  app.post(
    '/payments/prepare',
    {
      onRequest: app.auth.user,
      config: { idempotent: true },
      schema: {
        operationId: 'preparePayment',
        tags: ['payments'],
        summary: "Start paying a pending reservation: the order to open the provider's payment window with",
        description:
          'The amount and order name come from the reservation. Preparing again while the payment is open returns the same order.',
        security,
        body: PreparePaymentBody,
        response: {
          200: Type.Ref('PreparedPayment'),
          ...problems(
            ...AUTH_PROBLEMS,
            'RESERVATION_NOT_FOUND',
            'RESERVATION_EXPIRED',
            'RESERVATION_NOT_PAYABLE',
            'PAYMENT_IN_PROGRESS',
            'PAYMENT_PROVIDER_UNAVAILABLE',
            ...IDEMPOTENCY_PROBLEMS,
          ),
        },
      },
    },
    async (request) => service.prepare(request.principal!, request.body.reservationId),
  );

  app.post(
    '/payments/confirm',
    {
      onRequest: app.auth.user,
      config: { idempotent: true },
      schema: {
        operationId: 'confirmPayment',
        tags: ['payments'],
        summary: 'Confirm a payment after the success redirect: charge, then confirm the reservation and sell its seats',
        description:
          'The amount must equal the order (400 AMOUNT_MISMATCH otherwise; nothing changes). The charge, the confirmed reservation and the sold seats commit together. ' +
          'Repeating a confirm answers the same payment; concurrent ones share one provider call. A decline answers 402 PAYMENT_DECLINED with providerCode, and the ' +
          'reservation stays payable. If the reservation ended first, nothing is charged (or the charge is refunded) and the answer is 410 RESERVATION_EXPIRED. ' +
          'A provider that does not answer gives 503; the payment is then settled from the provider record within a minute.',
        security,
        body: ConfirmPaymentBody,
        response: {
          200: PaymentRef,
          ...problems(
            ...AUTH_PROBLEMS,
            'AMOUNT_MISMATCH',
            'PAYMENT_NOT_FOUND',
            'PAYMENT_DECLINED',
            'PAYMENT_IN_PROGRESS',
            'PAYMENT_NOT_CONFIRMABLE',
            'RESERVATION_EXPIRED',
            'PAYMENT_PROVIDER_UNAVAILABLE',
            ...IDEMPOTENCY_PROBLEMS,
          ),
        },
      },
    },
    async (request) => service.confirm(request.principal!, request.body),
  );

  app.get(
    '/payments/orders/:orderId',
    {
      onRequest: app.auth.user,
      schema: {
        operationId: 'getPaymentByOrderId',
        tags: ['payments'],
        summary: 'A payment by its order id (yours, or any for admins)',
        security,
        params: StrictObject({ orderId: OrderId }),
        response: { 200: PaymentRef, ...problems(...AUTH_PROBLEMS, 'PAYMENT_NOT_FOUND') },
      },
    },
    async (request) => service.get(request.principal!, request.params.orderId),
  );

  app.post(
    '/payments/:paymentKey/cancel',
    {
      onRequest: app.auth.user,
      config: { idempotent: true },
      schema: {
        operationId: 'refundPayment',
        tags: ['payments'],
        summary: 'Refund a payment, fully or partly',
        description:
          'A full refund (no amount, or everything left) cancels the reservation and frees its seats; a partial one keeps it. Owners may refund until ' +
          'PAYMENT_REFUND_WINDOW_HOURS before the event, admins always. If the provider refuses or fails, nothing changes and the failure is kept on the payment (refundFailure).',
        security,
        params: StrictObject({ paymentKey: PaymentKey }),
        body: CancelPaymentBody,
        response: {
          200: PaymentRef,
          ...problems(
            ...AUTH_PROBLEMS,
            'PAYMENT_NOT_FOUND',
            'PAYMENT_NOT_REFUNDABLE',
            'REFUND_WINDOW_CLOSED',
            'INVALID_REFUND_AMOUNT',
            'REFUND_REJECTED',
            'PAYMENT_PROVIDER_UNAVAILABLE',
            ...IDEMPOTENCY_PROBLEMS,
          ),
        },
      },
    },
    async (request) => service.refundByPaymentKey(request.principal!, request.params.paymentKey, request.body),
  );

  const page = async (
    filter: { userId?: string; eventId?: string; status?: string; method?: string; from?: string; to?: string },
    query: { limit?: number; cursor?: string },
  ) => {
    const limit = query.limit ?? 50;
    const rows = await service.list(filter, limit, PAYMENT_PAGES.decode(query.cursor));
    return pageOf(rows, limit, toPaymentView);
  };

  app.get(
    '/me/payments',
    {
      onRequest: app.auth.user,
      schema: {
        operationId: 'listMyPayments',
        tags: ['payments'],
        summary: 'Your payments, newest first',
        security,
        querystring: MyPaymentsQuery,
        response: { 200: Page(PaymentRef, 'PaymentPage'), ...problems(...AUTH_PROBLEMS) },
      },
    },
    async (request) => page({ userId: request.principal!.userId, status: request.query.status }, request.query),
  );

  app.get(
    '/payments',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'listPayments',
        tags: ['payments'],
        summary: 'All payments, newest first (admin)',
        security,
        querystring: PaymentsQuery,
        response: { 200: Page(PaymentRef, 'PaymentPage'), ...problems(...ADMIN_PROBLEMS) },
      },
    },
    async (request) => {
      const { eventId, status, method, from, to } = request.query;
      return page({ eventId, status, method, from, to }, request.query);
    },
  );

  app.post(
    '/payments/webhooks/toss',
    {
      schema: {
        operationId: 'receiveTossWebhook',
        tags: ['payments'],
        summary: 'TossPayments webhook receiver (PAYMENT_STATUS_CHANGED)',
        description:
          'Unsigned, so the body is only a hint: the payment is re-fetched from the provider before anything changes. Deliveries are deduplicated by the ' +
          'tosspayments-webhook-transmission-id header. 503 asks the provider to deliver again.',
        body: TossWebhookBody,
        response: { 200: Type.Ref('WebhookAck'), ...problems('PAYMENT_PROVIDER_UNAVAILABLE') },
      },
    },
    async (request) => {
      const data = (request.body.data ?? {}) as Record<string, unknown>;
      const transmissionId = request.headers['tosspayments-webhook-transmission-id'];
      const str = (v: unknown) => (typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : null);
      return service.handleWebhook({
        transmissionId: typeof transmissionId === 'string' && transmissionId.length <= 200 ? transmissionId : undefined,
        eventType: request.body.eventType,
        orderId: str(data.orderId) ?? str(request.body.orderId),
        paymentKey: str(data.paymentKey),
      });
    },
  );
};
