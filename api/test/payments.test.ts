import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, createTestApp, type TestApp } from '../../test/harness/app.js';
import { createEventFixture, createUsers, type EventFixture } from '../../test/harness/fixtures.js';
import { approve, expectChargesMatchTickets, httpCaller, reserveAndPrepare, type Call } from '../../test/harness/payments.js';
import type { SandboxCharge } from '../src/modules/payments/sandbox/toss-sandbox.js';

// The embedded default's payment setup: PAYMENTS_PROVIDER=sandbox, the sandbox served on the API's
// own port under /sandbox/toss, and the real Toss client reaching it over HTTP.
const SANDBOX = '/sandbox/toss';
let t: TestApp;
let call: Call;
let admin: { token: string };
beforeAll(async () => {
  t = await createTestApp({ listen: true, config: { RATE_LIMIT: 'off', SWEEP_INTERVAL_MS: 100, TOSS_TIMEOUT_MS: 2000 } });
  call = httpCaller(t.baseUrl);
  admin = await createAdmin(t);
});
afterAll(async () => {
  // Whatever each test did, every charge ends with one confirmed reservation or one refund.
  if (t) await expectChargesMatchTickets(t.db, await charges());
  await t?.close();
});

type User = { userId: string; token: string };
const charges = async (): Promise<SandboxCharge[]> => (await call('GET', `${SANDBOX}/charges`)).body.data as SandboxCharge[];
const chargeOf = async (orderId: string) => (await charges()).find((c) => c.payment.orderId === orderId);
const seatRows = async (seatIds: string[]) =>
  (await t.db.query<{ status: string }>(`SELECT status FROM ticket.seats WHERE id = ANY($1::uuid[]) ORDER BY id`, [seatIds])).rows.map(
    (r) => r.status,
  );
const reservationStatus = async (id: string) =>
  (await t.db.query<{ status: string }>(`SELECT status FROM ticket.reservations WHERE id = $1`, [id])).rows[0]!.status;

async function paidOrder(user: User, ev: EventFixture, seatIds: string[]) {
  const order = await reserveAndPrepare(call, user.token, ev.eventId, seatIds);
  const paymentKey = await approve(call, SANDBOX, { orderId: order.orderId, amount: order.amount });
  const confirmed = await call('POST', '/v1/payments/confirm', user.token, { paymentKey, orderId: order.orderId, amount: order.amount });
  expect(confirmed.status, JSON.stringify(confirmed.body)).toBe(200);
  return { ...order, paymentKey };
}

async function subscribe(eventId: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${t.realtime!.port}/v1/realtime`);
  const messages: Array<Record<string, unknown>> = [];
  let wake: () => void = () => {};
  ws.on('message', (data) => {
    messages.push(JSON.parse(data.toString()));
    wake();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ op: 'subscribe', topic: `event.${eventId}.seats` }));
  const next = (predicate: (m: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no such message; got ${JSON.stringify(messages)}`)), 5000);
      const check = () => {
        const found = messages.find(predicate);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      };
      wake = check;
      check();
    });
  return { ws, next };
}

describe('paying for a reservation', () => {
  it('hold → reservation → prepare → sandbox approve → confirm sells the seats, and seat.sold reaches a subscriber', async () => {
    const ev = await createEventFixture(t.db);
    const [buyer] = await createUsers(t, 1);
    const seats = ev.seats.A!.slice(0, 2);
    const sub = await subscribe(ev.eventId);
    const order = await reserveAndPrepare(call, buyer!.token, ev.eventId, seats);
    expect(order.prepared).toMatchObject({
      amount: 200_000,
      currency: 'KRW',
      provider: 'tosspayments',
      clientKey: expect.stringMatching(/^test_ck_/),
    });
    expect(order.orderId).toMatch(/^TK-\d{8}-[0-9A-Z]{6}-[0-9A-Z]{8}$/);
    // Preparing again while the order is open gives the same order.
    const again = await call('POST', '/v1/payments/prepare', buyer!.token, { reservationId: order.reservationId });
    expect(again.body.orderId).toBe(order.orderId);

    const paymentKey = await approve(call, SANDBOX, { orderId: order.orderId, amount: order.amount });
    const res = await call('POST', '/v1/payments/confirm', buyer!.token, { paymentKey, orderId: order.orderId, amount: order.amount });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      status: 'confirmed',
      paymentKey,
      amount: 200_000,
      balanceAmount: 200_000,
      method: '카드',
      providerStatus: 'DONE',
    });

    const sold = await sub.next((m) => m.type === 'seat.sold');
    expect([...(sold.seatIds as string[])].sort()).toEqual([...seats].sort());
    sub.ws.close();
    expect(await seatRows(seats)).toEqual(['sold', 'sold']);
    expect(await reservationStatus(order.reservationId)).toBe('confirmed');
    expect((await chargeOf(order.orderId))!.payment.status).toBe('DONE');
    const map = await call('GET', `/v1/events/${ev.eventId}/seats`);
    expect((map.body.seats as Array<{ id: string; status: string }>).filter((s) => seats.includes(s.id)).map((s) => s.status)).toEqual([
      'sold',
      'sold',
    ]);
    // A repeated confirm answers the same payment; the provider was asked once.
    const repeat = await call('POST', '/v1/payments/confirm', buyer!.token, { paymentKey, orderId: order.orderId, amount: order.amount });
    expect([repeat.status, repeat.body.id]).toEqual([200, res.body.id]);
    expect((await chargeOf(order.orderId))!.confirmRequests).toBe(1);
    // Every provider call is logged, and no secret reaches the log.
    const logs = await t.db.query(`SELECT action, request_body, response_body FROM payment.payment_logs WHERE order_id = $1`, [
      order.orderId,
    ]);
    expect(logs.rows.map((r) => r.action)).toEqual(['confirm']);
    expect(JSON.stringify(logs.rows)).not.toMatch(/test_sk_|ps_[0-9a-f]{20}/);
    expect(logs.rows[0].response_body.secret).toBe('[redacted]');
    const metrics = await (await fetch(`${t.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/payment_confirms_total\{outcome="confirmed"\} [1-9]/);
    expect(metrics).toMatch(/payment_provider_request_duration_seconds_count\{operation="confirm",result="200"\} [1-9]/);
    expect(metrics).toMatch(/payment_provider_breaker_state 0/);
  });

  it('20 concurrent identical confirms, over two API instances, leave one payment and one provider confirm', async () => {
    // A second instance on the same database and the same provider, as behind a load balancer.
    const b = await createTestApp({
      listen: true,
      databaseUrl: t.databaseUrl,
      config: { RATE_LIMIT: 'off', TOSS_API_URL: `${t.baseUrl}${SANDBOX}`, TOSS_TIMEOUT_MS: 2000 },
    });
    const callB = httpCaller(b.baseUrl);
    const ev = await createEventFixture(t.db);
    const [buyer] = await createUsers(t, 1);
    const order = await reserveAndPrepare(call, buyer!.token, ev.eventId, ev.seats.A!.slice(0, 1));
    // The provider takes 300 ms, so the confirms overlap.
    const paymentKey = await approve(call, SANDBOX, { orderId: order.orderId, amount: order.amount, delayMs: 300 });
    const body = { paymentKey, orderId: order.orderId, amount: order.amount };
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? callB : call)('POST', '/v1/payments/confirm', buyer!.token, body)),
    ).finally(() => b.close());
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const payments = await t.db.query(`SELECT status FROM payment.payments WHERE reservation_id = $1`, [order.reservationId]);
    expect(payments.rows).toEqual([{ status: 'confirmed' }]);
    expect((await chargeOf(order.orderId))!.confirmRequests).toBe(1);
  });

  it('another user can neither read, confirm nor refund it; admins can read it', async () => {
    const ev = await createEventFixture(t.db);
    const [buyer, other] = await createUsers(t, 2);
    const order = await paidOrder(buyer!, ev, ev.seats.A!.slice(0, 1));
    const read = await call('GET', `/v1/payments/orders/${order.orderId}`, other!.token);
    expect([read.status, read.body.code]).toEqual([404, 'PAYMENT_NOT_FOUND']);
    const refund = await call('POST', `/v1/payments/${order.paymentKey}/cancel`, other!.token, { reason: 'mine now' });
    expect([refund.status, refund.body.code]).toEqual([404, 'PAYMENT_NOT_FOUND']);
    const cancel = await call('POST', `/v1/reservations/${order.reservationId}/cancel`, other!.token, {});
    expect([cancel.status, cancel.body.code]).toEqual([404, 'RESERVATION_NOT_FOUND']);
    const confirm = await call('POST', '/v1/payments/confirm', other!.token, {
      paymentKey: order.paymentKey,
      orderId: order.orderId,
      amount: order.amount,
    });
    expect([confirm.status, confirm.body.code]).toEqual([404, 'PAYMENT_NOT_FOUND']);
    expect((await chargeOf(order.orderId))!.payment.status).toBe('DONE');
    expect(await reservationStatus(order.reservationId)).toBe('confirmed');
    const mine = await call('GET', '/v1/me/payments', other!.token);
    expect(mine.body.data).toEqual([]);
    const asAdmin = await call('GET', `/v1/payments/orders/${order.orderId}`, admin.token);
    expect([asAdmin.status, asAdmin.body.userId]).toEqual([200, buyer!.userId]);
  });

  it('a tampered amount gets 400 AMOUNT_MISMATCH, nothing is charged and the reservation stays pending', async () => {
    const ev = await createEventFixture(t.db);
    const [buyer] = await createUsers(t, 1);
    const order = await reserveAndPrepare(call, buyer!.token, ev.eventId, ev.seats.A!.slice(0, 1));
    const paymentKey = await approve(call, SANDBOX, { orderId: order.orderId, amount: order.amount });
    const res = await call('POST', '/v1/payments/confirm', buyer!.token, { paymentKey, orderId: order.orderId, amount: 100 });
    expect([res.status, res.body.code]).toEqual([400, 'AMOUNT_MISMATCH']);
    expect(await reservationStatus(order.reservationId)).toBe('pending');
    const charge = (await chargeOf(order.orderId))!;
    expect([charge.payment.status, charge.confirmRequests]).toEqual(['IN_PROGRESS', 0]);
    // The right amount still pays.
    const ok = await call('POST', '/v1/payments/confirm', buyer!.token, { paymentKey, orderId: order.orderId, amount: order.amount });
    expect(ok.status).toBe(200);
  });

  it('a card rejection gets a 4xx with the provider code, and the reservation stays payable', async () => {
    const ev = await createEventFixture(t.db);
    const [buyer] = await createUsers(t, 1);
    const seats = ev.seats.A!.slice(0, 1);
    const order = await reserveAndPrepare(call, buyer!.token, ev.eventId, seats);
    const paymentKey = await approve(call, SANDBOX, { orderId: order.orderId, amount: order.amount, failWith: 'REJECT_CARD_COMPANY' });
    const res = await call('POST', '/v1/payments/confirm', buyer!.token, { paymentKey, orderId: order.orderId, amount: order.amount });
    expect([res.status, res.body.code, res.body.providerCode]).toEqual([402, 'PAYMENT_DECLINED', 'REJECT_CARD_COMPANY']);
    expect(await reservationStatus(order.reservationId)).toBe('pending');
    expect(await seatRows(seats)).toEqual(['reserved']);
    const failed = await call('GET', `/v1/payments/orders/${order.orderId}`, buyer!.token);
    expect(failed.body).toMatchObject({ status: 'failed', failure: { code: 'REJECT_CARD_COMPANY' } });
    // Paying again: a new order for the same reservation, and this card works.
    const retry = await call('POST', '/v1/payments/prepare', buyer!.token, { reservationId: order.reservationId });
    expect(retry.body.orderId).not.toBe(order.orderId);
    const key2 = await approve(call, SANDBOX, { orderId: retry.body.orderId as string, amount: order.amount, method: 'EASY_PAY' });
    const ok = await call('POST', '/v1/payments/confirm', buyer!.token, {
      paymentKey: key2,
      orderId: retry.body.orderId,
      amount: order.amount,
    });
    expect([ok.status, ok.body.method]).toEqual([200, '간편결제']);
    expect(await seatRows(seats)).toEqual(['sold']);
  });
});

describe('listing payments', () => {
  it('admins filter by event, status, method and time, page by cursor; buyers see their own', async () => {
    const ev = await createEventFixture(t.db);
    const [buyer] = await createUsers(t, 1);
    const before = new Date(Date.now() - 1000).toISOString();
    const card = await paidOrder(buyer!, ev, ev.seats.A!.slice(0, 1));
    const easy = await reserveAndPrepare(call, buyer!.token, ev.eventId, ev.seats.A!.slice(1, 2));
    const easyKey = await approve(call, SANDBOX, { orderId: easy.orderId, amount: easy.amount, method: 'EASY_PAY' });
    expect(
      (await call('POST', '/v1/payments/confirm', buyer!.token, { paymentKey: easyKey, orderId: easy.orderId, amount: easy.amount }))
        .status,
    ).toBe(200);
    const pending = await reserveAndPrepare(call, buyer!.token, ev.eventId, ev.seats.A!.slice(2, 3));
    const list = async (query: string) =>
      ((await call('GET', `/v1/payments?eventId=${ev.eventId}&${query}`, admin.token)).body.data as Array<{ orderId: string }>).map(
        (p) => p.orderId,
      );
    expect(await list('')).toEqual([pending.orderId, easy.orderId, card.orderId]);
    expect(await list('status=confirmed')).toEqual([easy.orderId, card.orderId]);
    expect(await list(`method=${encodeURIComponent('간편결제')}`)).toEqual([easy.orderId]);
    expect(await list(`from=${before}&to=${new Date(Date.now() + 60_000).toISOString()}&status=pending`)).toEqual([pending.orderId]);
    expect(await list(`to=${before}`)).toEqual([]);
    const first = await call('GET', `/v1/payments?eventId=${ev.eventId}&limit=2`, admin.token);
    const second = await call('GET', `/v1/payments?eventId=${ev.eventId}&limit=2&cursor=${first.body.nextCursor as string}`, admin.token);
    expect(
      [...(first.body.data as Array<{ orderId: string }>), ...(second.body.data as Array<{ orderId: string }>)].map((p) => p.orderId),
    ).toEqual([pending.orderId, easy.orderId, card.orderId]);
    expect(second.body.nextCursor).toBeNull();
    const mine = await call('GET', '/v1/me/payments?status=confirmed', buyer!.token);
    expect((mine.body.data as Array<{ orderId: string }>).map((p) => p.orderId)).toEqual([easy.orderId, card.orderId]);
    const asUser = await call('GET', '/v1/payments', buyer!.token);
    expect([asUser.status, asUser.body.code]).toEqual([403, 'FORBIDDEN']);
  });
});

describe('refunds', () => {
  it('a full refund cancels the reservation and frees the seats', async () => {
    const ev = await createEventFixture(t.db);
    const [buyer] = await createUsers(t, 1);
    const seats = ev.seats.A!.slice(0, 2);
    const order = await paidOrder(buyer!, ev, seats);
    const sub = await subscribe(ev.eventId);
    const res = await call('POST', `/v1/payments/${order.paymentKey}/cancel`, buyer!.token, { reason: 'cannot come' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: 'refunded', refundedAmount: 200_000, balanceAmount: 0 });
    expect(await reservationStatus(order.reservationId)).toBe('cancelled');
    expect(await seatRows(seats)).toEqual(['available', 'available']);
    const released = await sub.next((m) => m.type === 'seat.released');
    expect([...(released.seatIds as string[])].sort()).toEqual([...seats].sort());
    sub.ws.close();
    const charge = (await chargeOf(order.orderId))!;
    expect([charge.payment.status, charge.payment.balanceAmount]).toEqual(['CANCELED', 0]);
    // The freed seats can be sold again.
    const [next] = await createUsers(t, 1);
    await paidOrder(next!, ev, seats);
    expect(await seatRows(seats)).toEqual(['sold', 'sold']);
  });

  it('partial refunds keep the reservation until the balance reaches zero', async () => {
    const ev = await createEventFixture(t.db);
    const [buyer] = await createUsers(t, 1);
    const seats = ev.seats.A!.slice(0, 2);
    const order = await paidOrder(buyer!, ev, seats);
    const part = await call('POST', `/v1/payments/${order.paymentKey}/cancel`, admin.token, { reason: 'goodwill', amount: 50_000 });
    expect(part.body).toMatchObject({ status: 'partially_refunded', refundedAmount: 50_000, balanceAmount: 150_000 });
    expect(await reservationStatus(order.reservationId)).toBe('confirmed');
    const tooMuch = await call('POST', `/v1/payments/${order.paymentKey}/cancel`, admin.token, { reason: 'x', amount: 150_001 });
    expect([tooMuch.status, tooMuch.body.code]).toEqual([400, 'INVALID_REFUND_AMOUNT']);
    const rest = await call('POST', `/v1/payments/${order.paymentKey}/cancel`, admin.token, { reason: 'rest', amount: 150_000 });
    expect(rest.body).toMatchObject({ status: 'refunded', refundedAmount: 200_000 });
    expect(await reservationStatus(order.reservationId)).toBe('cancelled');
    expect(await seatRows(seats)).toEqual(['available', 'available']);
    expect((await chargeOf(order.orderId))!.payment.cancels!.map((c) => c.cancelAmount)).toEqual([50_000, 150_000]);
    const again = await call('POST', `/v1/payments/${order.paymentKey}/cancel`, admin.token, { reason: 'again' });
    expect([again.status, again.body.code]).toEqual([409, 'PAYMENT_NOT_REFUNDABLE']);
  });

  it('cancelling a confirmed reservation refunds it through its payment and frees the seats', async () => {
    const ev = await createEventFixture(t.db);
    const [buyer] = await createUsers(t, 1);
    const seats = ev.seats.A!.slice(0, 2);
    const order = await paidOrder(buyer!, ev, seats);
    const res = await call('POST', `/v1/reservations/${order.reservationId}/cancel`, buyer!.token, { reason: 'plans changed' });
    expect([res.status, res.body.status]).toEqual([200, 'cancelled']);
    expect(await seatRows(seats)).toEqual(['available', 'available']);
    const payment = await call('GET', `/v1/payments/orders/${order.orderId}`, buyer!.token);
    expect(payment.body).toMatchObject({ status: 'refunded', refundedAmount: order.amount });
    expect((await chargeOf(order.orderId))!.payment.status).toBe('CANCELED');
  });

  it('owners may refund only until the refund window before the event; admins always', async () => {
    const ev = await createEventFixture(t.db);
    const [buyer] = await createUsers(t, 1);
    const order = await paidOrder(buyer!, ev, ev.seats.A!.slice(0, 1));
    await t.db.query(`UPDATE ticket.events SET event_date = now() + interval '2 hours' WHERE id = $1`, [ev.eventId]);
    const owner = await call('POST', `/v1/payments/${order.paymentKey}/cancel`, buyer!.token, { reason: 'late' });
    expect([owner.status, owner.body.code]).toEqual([409, 'REFUND_WINDOW_CLOSED']);
    const viaReservation = await call('POST', `/v1/reservations/${order.reservationId}/cancel`, buyer!.token, {});
    expect([viaReservation.status, viaReservation.body.code]).toEqual([409, 'REFUND_WINDOW_CLOSED']);
    expect(await reservationStatus(order.reservationId)).toBe('confirmed');
    const byAdmin = await call('POST', `/v1/payments/${order.paymentKey}/cancel`, admin.token, { reason: 'organiser decision' });
    expect([byAdmin.status, byAdmin.body.status]).toEqual([200, 'refunded']);
  });

  it('a refund the provider refuses or fails keeps the reservation confirmed, and the admin sees why', async () => {
    const ev = await createEventFixture(t.db);
    const [buyer] = await createUsers(t, 1);
    const seats = ev.seats.A!.slice(0, 1);
    const order = await paidOrder(buyer!, ev, seats);
    await call('POST', `${SANDBOX}/faults`, undefined, { orderId: order.orderId, operation: 'cancel', code: 'NOT_CANCELABLE_PAYMENT' });
    const refused = await call('POST', `/v1/payments/${order.paymentKey}/cancel`, buyer!.token, { reason: 'please' });
    expect([refused.status, refused.body.code, refused.body.providerCode]).toEqual([409, 'REFUND_REJECTED', 'NOT_CANCELABLE_PAYMENT']);
    // A provider failing every attempt: 503 with Retry-After, still nothing changed.
    await call('POST', `${SANDBOX}/faults`, undefined, {
      orderId: order.orderId,
      operation: 'cancel',
      code: 'FAILED_REFUND_PROCESS',
      count: 3,
    });
    const failing = await fetch(`${t.baseUrl}/v1/reservations/${order.reservationId}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${buyer!.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect([failing.status, ((await failing.json()) as { code: string }).code, failing.headers.get('retry-after')]).toEqual([
      503,
      'PAYMENT_PROVIDER_UNAVAILABLE',
      '5',
    ]);
    expect(await reservationStatus(order.reservationId)).toBe('confirmed');
    expect(await seatRows(seats)).toEqual(['sold']);
    const listed = await call('GET', `/v1/payments?eventId=${ev.eventId}`, admin.token);
    expect(listed.body.data).toMatchObject([
      { orderId: order.orderId, status: 'confirmed', refundFailure: { code: 'FAILED_REFUND_PROCESS' } },
    ]);
    const logged = await t.db.query(
      `SELECT error_code FROM payment.payment_logs WHERE order_id = $1 AND action = 'cancel' ORDER BY created_at`,
      [order.orderId],
    );
    expect(logged.rows.map((r) => r.error_code)).toEqual([
      'NOT_CANCELABLE_PAYMENT',
      'FAILED_REFUND_PROCESS',
      'FAILED_REFUND_PROCESS',
      'FAILED_REFUND_PROCESS',
    ]);
    expect((await chargeOf(order.orderId))!.payment.status).toBe('DONE');
    // Once the provider recovers, the refund goes through and clears the failure.
    const ok = await call('POST', `/v1/payments/${order.paymentKey}/cancel`, admin.token, { reason: 'retry' });
    expect(ok.body).toMatchObject({ status: 'refunded', refundFailure: null });
  });
});

describe('expiry and timeouts', () => {
  it('a confirm arriving after the reservation expired charges nothing and says so', async () => {
    const ev = await createEventFixture(t.db);
    const [buyer] = await createUsers(t, 1);
    const order = await reserveAndPrepare(call, buyer!.token, ev.eventId, ev.seats.A!.slice(0, 1));
    const paymentKey = await approve(call, SANDBOX, { orderId: order.orderId, amount: order.amount });
    await t.db.query(`UPDATE ticket.reservations SET expires_at = now() - interval '1 second' WHERE id = $1`, [order.reservationId]);
    const res = await call('POST', '/v1/payments/confirm', buyer!.token, { paymentKey, orderId: order.orderId, amount: order.amount });
    expect([res.status, res.body.code]).toEqual([410, 'RESERVATION_EXPIRED']);
    expect(res.body.detail).toMatch(/nothing was charged/);
    const charge = (await chargeOf(order.orderId))!;
    expect([charge.payment.status, charge.confirmRequests]).toEqual(['IN_PROGRESS', 0]);
    const payment = await call('GET', `/v1/payments/orders/${order.orderId}`, buyer!.token);
    expect(payment.body).toMatchObject({ status: 'cancelled', failure: { code: 'RESERVATION_EXPIRED' } });
  });

  it('a confirm in flight keeps its reservation past expiry while the sweeper expires others', async () => {
    const ev = await createEventFixture(t.db);
    const [buyer, idle] = await createUsers(t, 2);
    const seats = ev.seats.A!.slice(0, 1);
    const order = await reserveAndPrepare(call, buyer!.token, ev.eventId, seats);
    const control = await reserveAndPrepare(call, idle!.token, ev.eventId, ev.seats.A!.slice(5, 6));
    // The provider takes 1.5 s to answer this confirm (under the 2 s timeout).
    const paymentKey = await approve(call, SANDBOX, { orderId: order.orderId, amount: order.amount, delayMs: 1500 });
    const confirming = call('POST', '/v1/payments/confirm', buyer!.token, { paymentKey, orderId: order.orderId, amount: order.amount });
    await waitFor(
      async () =>
        (await t.db.query(`SELECT 1 FROM payment.payments WHERE order_id = $1 AND status = 'in_progress'`, [order.orderId])).rowCount === 1,
    );
    await t.db.query(`UPDATE ticket.reservations SET expires_at = now() - interval '1 second' WHERE id = ANY($1::uuid[])`, [
      [order.reservationId, control.reservationId],
    ]);
    // The sweeper ran (it expired the control reservation) and left the one being paid alone.
    await waitFor(async () => (await reservationStatus(control.reservationId)) === 'expired');
    expect(await reservationStatus(order.reservationId)).toBe('pending');
    const res = await confirming;
    expect([res.status, res.body.status]).toEqual([200, 'confirmed']);
    expect(await reservationStatus(order.reservationId)).toBe('confirmed');
    expect(await seatRows(seats)).toEqual(['sold']);
  });

  it('a provider that answers after our timeout is reconciled from its record, not guessed', async () => {
    const ev = await createEventFixture(t.db);
    const [buyer] = await createUsers(t, 1);
    const seats = ev.seats.A!.slice(0, 1);
    const order = await reserveAndPrepare(call, buyer!.token, ev.eventId, seats);
    // Charged at once, answered after 6 s: our first attempt times out (2 s), the retries find it still in flight.
    const paymentKey = await approve(call, SANDBOX, { orderId: order.orderId, amount: order.amount, delayMs: 6000 });
    const res = await call('POST', '/v1/payments/confirm', buyer!.token, { paymentKey, orderId: order.orderId, amount: order.amount });
    expect([res.status, res.body.status]).toEqual([200, 'confirmed']);
    expect(await seatRows(seats)).toEqual(['sold']);
    const charge = (await chargeOf(order.orderId))!;
    expect(charge.payment.status).toBe('DONE');
    const logs = await t.db.query(`SELECT action, error_code FROM payment.payment_logs WHERE order_id = $1 ORDER BY created_at`, [
      order.orderId,
    ]);
    expect(logs.rows[0]).toEqual({ action: 'confirm', error_code: 'TIMEOUT' });
    expect(logs.rows.at(-1)).toEqual({ action: 'lookup', error_code: null });
  });

  it('a cancel while the provider confirms refunds the charge automatically', async () => {
    const ev = await createEventFixture(t.db);
    const [buyer] = await createUsers(t, 1);
    const seats = ev.seats.A!.slice(0, 1);
    const order = await reserveAndPrepare(call, buyer!.token, ev.eventId, seats);
    const paymentKey = await approve(call, SANDBOX, { orderId: order.orderId, amount: order.amount, delayMs: 1500 });
    const confirming = call('POST', '/v1/payments/confirm', buyer!.token, { paymentKey, orderId: order.orderId, amount: order.amount });
    await waitFor(
      async () =>
        (await t.db.query(`SELECT 1 FROM payment.payments WHERE order_id = $1 AND status = 'in_progress'`, [order.orderId])).rowCount === 1,
    );
    const cancelled = await call('POST', `/v1/reservations/${order.reservationId}/cancel`, admin.token, { reason: 'oversold' });
    expect(cancelled.body.status).toBe('cancelled');
    const res = await confirming;
    expect([res.status, res.body.code]).toEqual([410, 'RESERVATION_EXPIRED']);
    expect(res.body.detail).toMatch(/refunded/);
    const charge = (await chargeOf(order.orderId))!;
    expect([charge.payment.status, charge.payment.balanceAmount]).toEqual(['CANCELED', 0]);
    expect(await seatRows(seats)).toEqual(['available']);
  });
});

describe('webhooks', () => {
  it('applies a status change only after re-fetching it from the provider, once per transmission id', async () => {
    const ev = await createEventFixture(t.db);
    const [buyer] = await createUsers(t, 1);
    const seats = ev.seats.A!.slice(0, 1);
    const order = await paidOrder(buyer!, ev, seats);
    const hook = (id: string, status: string) =>
      call(
        'POST',
        '/v1/payments/webhooks/toss',
        undefined,
        {
          eventType: 'PAYMENT_STATUS_CHANGED',
          createdAt: new Date().toISOString(),
          data: { paymentKey: order.paymentKey, orderId: order.orderId, status },
        },
        { 'tosspayments-webhook-transmission-id': id },
      );
    // A forged "CANCELED": the provider still says DONE, so nothing changes.
    const forged = await hook(`wh-${order.orderId}-1`, 'CANCELED');
    expect([forged.status, forged.body.status]).toEqual([200, 'processed']);
    expect(await reservationStatus(order.reservationId)).toBe('confirmed');
    // Refunded from the merchant dashboard (straight at the provider), then the webhook arrives.
    const secret = Buffer.from('test_sk_dashboard:').toString('base64');
    const direct = await call(
      'POST',
      `${SANDBOX}/v1/payments/${order.paymentKey}/cancel`,
      undefined,
      { cancelReason: 'dashboard' },
      {
        authorization: `Basic ${secret}`,
      },
    );
    expect(direct.body.status).toBe('CANCELED');
    const real = await hook(`wh-${order.orderId}-2`, 'CANCELED');
    expect(real.body.status).toBe('processed');
    expect(await reservationStatus(order.reservationId)).toBe('cancelled');
    expect(await seatRows(seats)).toEqual(['available']);
    const duplicate = await hook(`wh-${order.orderId}-2`, 'CANCELED');
    expect([duplicate.status, duplicate.body.status]).toEqual([200, 'duplicate']);
    const unknown = await call('POST', '/v1/payments/webhooks/toss', undefined, {
      eventType: 'PAYMENT_STATUS_CHANGED',
      data: { orderId: 'NO-SUCH-ORDER' },
    });
    expect(unknown.body.status).toBe('ignored');
  });
});

describe('the sandbox speaks Toss', () => {
  it('checks Basic auth, honours TossPayments-Test-Code and replays by Idempotency-Key', async () => {
    const confirm = (headers: Record<string, string>, body: unknown = { paymentKey: 'x', orderId: 'ORDER-1', amount: 1000 }) =>
      call('POST', `${SANDBOX}/v1/payments/confirm`, undefined, body, headers);
    const key = (k: string) => `Basic ${Buffer.from(k).toString('base64')}`;
    expect((await confirm({})).body.code).toBe('UNAUTHORIZED_KEY');
    expect((await confirm({ authorization: key('live_sk_x:') })).status).toBe(401);
    expect(await confirm({ authorization: key('test_sk_x') })).toMatchObject({
      status: 403,
      body: { code: 'INCORRECT_BASIC_AUTH_FORMAT' },
    });
    expect(await confirm({ authorization: key('test_sk_x:'), 'tosspayments-test-code': 'REJECT_CARD_COMPANY' })).toMatchObject({
      status: 403,
      body: { code: 'REJECT_CARD_COMPANY' },
    });
    const paymentKey = await approve(call, SANDBOX, { orderId: 'SANDBOX-IDEM-1', amount: 5000 });
    const body = { paymentKey, orderId: 'SANDBOX-IDEM-1', amount: 5000 };
    const first = await confirm({ authorization: key('test_sk_x:'), 'idempotency-key': 'k1' }, body);
    const replay = await confirm({ authorization: key('test_sk_x:'), 'idempotency-key': 'k1' }, body);
    expect([first.status, replay.status, replay.body.approvedAt]).toEqual([200, 200, first.body.approvedAt]);
    const again = await confirm({ authorization: key('test_sk_x:') }, body);
    expect(again.body.code).toBe('ALREADY_PROCESSED_PAYMENT');
    expect(first.body.approvedAt).toMatch(/\+09:00$/);
    // Leave the sandbox clean for the invariant: refund this test's direct charge.
    await call(
      'POST',
      `${SANDBOX}/v1/payments/${paymentKey}/cancel`,
      undefined,
      { cancelReason: 'cleanup' },
      { authorization: key('test_sk_x:') },
    );
  });
});

describe('provider outage', () => {
  it('a provider that cannot be reached answers 503 PAYMENT_PROVIDER_UNAVAILABLE, opens the breaker, and the process lives on', async () => {
    const down = await createTestApp({
      listen: true,
      databaseUrl: t.databaseUrl,
      config: { RATE_LIMIT: 'off', TOSS_API_URL: 'http://127.0.0.1:9/unreachable', PAYMENT_RECONCILE_INTERVAL_MS: 600_000 },
    });
    try {
      const downCall = httpCaller(down.baseUrl);
      const ev = await createEventFixture(t.db);
      const [buyer] = await createUsers(t, 1);
      const order = await reserveAndPrepare(downCall, buyer!.token, ev.eventId, ev.seats.A!.slice(0, 1));
      const body = { paymentKey: 'tsbx-never-approved', orderId: order.orderId, amount: order.amount };
      const answers = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${down.baseUrl}/v1/payments/confirm`, {
          method: 'POST',
          headers: { authorization: `Bearer ${buyer!.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        answers.push([res.status, ((await res.json()) as { code: string }).code, res.headers.get('retry-after')]);
      }
      expect(answers).toEqual(Array(3).fill([503, 'PAYMENT_PROVIDER_UNAVAILABLE', '5']));
      // Nothing reached the provider, so the order is payable again, not stuck.
      const row = await t.db.query(`SELECT status FROM payment.payments WHERE order_id = $1`, [order.orderId]);
      expect(row.rows).toEqual([{ status: 'pending' }]);
      const metrics = await (await fetch(`${down.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/payment_provider_breaker_state 2/);
      expect(metrics).toMatch(/payment_failures_total\{operation="confirm",code="CIRCUIT_OPEN"\} \d+/);
      expect((await fetch(`${down.baseUrl}/health`)).status).toBe(200);
    } finally {
      await down.close();
    }
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
