// Paying through the SDK against a real server on the embedded default's sandbox provider.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, createTestApp, type TestApp } from '../../test/harness/app.js';
import { ApiError, NotFoundError, Tiketi, ValidationError } from '../src/index.js';

let t: TestApp;
let anonymous: Tiketi;
let admin: Tiketi;
beforeAll(async () => {
  t = await createTestApp({ listen: true, config: { RATE_LIMIT: 'off' } });
  anonymous = new Tiketi({ baseUrl: t.baseUrl, maxRetries: 0 });
  admin = anonymous.withToken((await createAdmin(t)).token);
});
afterAll(async () => t?.close());

async function signUp() {
  const { token } = await anonymous.auth.register({
    email: `pay-${randomUUID().slice(0, 8)}@example.com`,
    password: 'correct horse battery',
    name: 'Fan',
  });
  return anonymous.withToken(token);
}

/** The buyer approving in the sandbox's payment window (what the browser SDK does). */
async function approve(orderId: string, amount: number, failWith?: string): Promise<string> {
  const res = await fetch(`${t.baseUrl}/sandbox/toss/approve`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orderId, amount, method: 'CARD', failWith }),
  });
  return ((await res.json()) as { paymentKey: string }).paymentKey;
}

describe('payments', () => {
  it('prepare → confirm → get → list → refund, with typed errors', async () => {
    const layout = await admin.seatLayouts.create({
      name: `Pay ${randomUUID().slice(0, 6)}`,
      sections: [{ name: 'A', ticketType: 'A', price: 30_000, rows: 1, seatsPerRow: 4 }],
    });
    const event = await admin.events.create({
      title: 'Pay night',
      venue: 'Hall',
      eventDate: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      seatLayoutId: layout.id,
      status: 'on_sale',
    });
    const fan = await signUp();
    const { seats } = await fan.seats.map(event.id);
    const hold = await fan.holds.create(event.id, { seatIds: [seats[0]!.id] });
    const reservation = await fan.reservations.create({ holdId: hold.id });
    const order = await fan.payments.prepare({ reservationId: reservation.id });
    expect(order).toMatchObject({ amount: 30_000, currency: 'KRW', provider: 'tosspayments' });

    const tampered = await fan.payments.confirm({ paymentKey: 'x', orderId: order.orderId, amount: 1 }).catch((e: unknown) => e);
    expect(tampered).toBeInstanceOf(ValidationError);
    expect((tampered as ValidationError).code).toBe('AMOUNT_MISMATCH');

    const paymentKey = await approve(order.orderId, order.amount);
    const paid = await fan.payments.confirm({ paymentKey, orderId: order.orderId, amount: order.amount });
    expect(paid.status).toBe('confirmed');
    expect((await fan.payments.get(order.orderId)).paymentKey).toBe(paymentKey);
    expect((await fan.payments.listMine().toArray()).map((p) => p.orderId)).toEqual([order.orderId]);
    expect((await admin.payments.list({ eventId: event.id, status: 'confirmed' }).toArray()).map((p) => p.id)).toEqual([paid.id]);

    const stranger = await signUp();
    await expect(stranger.payments.get(order.orderId)).rejects.toBeInstanceOf(NotFoundError);
    const refunded = await fan.payments.refund(paymentKey, { reason: 'cannot come' });
    expect(refunded).toMatchObject({ status: 'refunded', refundedAmount: 30_000 });
    expect((await fan.reservations.get(reservation.id)).status).toBe('cancelled');

    // A declined card: a 402 the SDK surfaces as ApiError with the provider's code.
    const hold2 = await fan.holds.create(event.id, { seatIds: [seats[1]!.id] });
    const order2 = await fan.payments.prepare({ reservationId: (await fan.reservations.create({ holdId: hold2.id })).id });
    const declinedKey = await approve(order2.orderId, order2.amount, 'REJECT_CARD_PAYMENT');
    const declined = await fan.payments
      .confirm({ paymentKey: declinedKey, orderId: order2.orderId, amount: order2.amount })
      .catch((e: unknown) => e);
    expect(declined).toBeInstanceOf(ApiError);
    expect([(declined as ApiError).status, (declined as ApiError).code]).toEqual([402, 'PAYMENT_DECLINED']);
  });
});
