import { Type } from '@sinclair/typebox';
import { ListQuery, NonBlankText, Nullable, StrictObject, Text, TOKEN_PATTERN, Timestamp, Uuid } from '../../schemas.js';

const Money = Type.Integer({ minimum: 0, description: "Amount in the currency's minor unit" });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' });
export const OrderId = Type.String({
  pattern: '^[A-Za-z0-9_-]{6,64}$',
  description: "The provider's order id (6–64 of A–Z, a–z, 0–9, -, _)",
});
export const PaymentKey = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: TOKEN_PATTERN,
  description: 'The key the provider gave the payment',
});

export const PaymentStatus = Type.Union(
  (['pending', 'in_progress', 'confirmed', 'failed', 'cancelled', 'partially_refunded', 'refunded'] as const).map((s) => Type.Literal(s)),
  {
    description:
      'pending: prepared, waiting for the buyer; in_progress: a confirm is with the provider; confirmed: charged and the seats sold; ' +
      'failed: declined or abandoned (nothing charged; prepare again); cancelled: the reservation ended first (nothing charged); ' +
      'partially_refunded / refunded: money returned',
  },
);

const Failure = Type.Object({ code: Type.String({ description: "The provider's code, or ours" }), message: Type.String() });

export const Payment = Type.Object(
  {
    id: Uuid(),
    orderId: OrderId,
    orderName: Type.String(),
    paymentKey: Nullable(PaymentKey),
    reservationId: Uuid(),
    reservationNumber: Type.String(),
    eventId: Uuid(),
    userId: Uuid(),
    provider: Type.String({ description: 'tosspayments' }),
    status: PaymentStatus,
    amount: Money,
    refundedAmount: Money,
    balanceAmount: Type.Integer({ minimum: 0, description: 'What can still be refunded' }),
    currency: Currency,
    method: Nullable(Type.String({ description: "The provider's method label (카드, 간편결제, 계좌이체, 휴대폰 ...)" })),
    providerStatus: Nullable(Type.String({ description: "The provider's status (DONE, CANCELED, ABORTED ...)" })),
    approvedAt: Nullable(Timestamp()),
    receiptUrl: Nullable(Type.String()),
    failure: Nullable(Failure),
    refundFailure: Nullable(
      Type.Object({ ...Failure.properties, at: Timestamp() }, { description: 'The last refund the provider refused or could not answer' }),
    ),
    refundedAt: Nullable(Timestamp()),
    createdAt: Timestamp(),
    updatedAt: Timestamp(),
  },
  { $id: 'Payment', title: 'Payment' },
);

export const PreparePaymentBody = StrictObject({ reservationId: Uuid() }, { title: 'PreparePayment' });

export const PreparedPayment = Type.Object(
  {
    paymentId: Uuid(),
    orderId: OrderId,
    orderName: Type.String({ maxLength: 100 }),
    amount: Money,
    currency: Currency,
    provider: Type.String({ description: 'tosspayments' }),
    clientKey: Type.String({ description: "Opens the provider's payment window (a client key, never the secret key)" }),
  },
  { $id: 'PreparedPayment', title: 'PreparedPayment' },
);

export const ConfirmPaymentBody = StrictObject(
  {
    paymentKey: PaymentKey,
    orderId: OrderId,
    amount: Type.Integer({ minimum: 1, description: 'As the success redirect carried it; checked against the order' }),
  },
  { title: 'ConfirmPayment' },
);

export const CancelPaymentBody = StrictObject(
  {
    reason: NonBlankText(200),
    amount: Type.Optional(Type.Integer({ minimum: 1, description: 'Partial refund; omit to refund everything left' })),
  },
  { title: 'CancelPayment' },
);

export const MyPaymentsQuery = StrictObject({ ...ListQuery, status: Type.Optional(PaymentStatus) });
export const PaymentsQuery = StrictObject({
  ...ListQuery,
  eventId: Type.Optional(Uuid()),
  status: Type.Optional(PaymentStatus),
  method: Type.Optional(Text({ maxLength: 50, description: "The provider's method label, e.g. 카드" })),
  from: Type.Optional(Timestamp({ description: 'Created at or after' })),
  to: Type.Optional(Timestamp({ description: 'Created before' })),
});

// Toss's webhook envelope. `data` is the provider's Payment object, kept open: Toss adds fields
// without a new version. The body is a hint only; the payment is re-fetched before anything changes.
export const TossWebhookBody = StrictObject(
  {
    eventType: Text({ maxLength: 100 }),
    createdAt: Type.Optional(Text({ maxLength: 100 })),
    data: Type.Optional(Type.Object({}, { additionalProperties: true })),
    // DEPOSIT_CALLBACK (virtual accounts) sends these at the top level.
    secret: Type.Optional(Text({ maxLength: 200 })),
    status: Type.Optional(Text({ maxLength: 50 })),
    transactionKey: Type.Optional(Text({ maxLength: 200 })),
    orderId: Type.Optional(Text({ maxLength: 64 })),
  },
  { title: 'TossWebhook' },
);

export const WebhookAck = Type.Object(
  { status: Type.Union([Type.Literal('processed'), Type.Literal('duplicate'), Type.Literal('ignored')]) },
  { $id: 'WebhookAck', title: 'WebhookAck' },
);
