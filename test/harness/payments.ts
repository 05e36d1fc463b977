// Helpers for payment tests: the buyer's path from seats to a confirmed payment, the sandbox's own
// record of charges, and the invariant every test ends with: every charge the provider made has
// exactly one confirmed reservation, or was refunded.
import { expect } from 'vitest';
import type { Queryable } from '../../api/src/infra/db.js';
import type { SandboxCharge } from '../../api/src/modules/payments/sandbox/toss-sandbox.js';

export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}
export type Call = (method: string, url: string, token?: string, body?: unknown, headers?: Record<string, string>) => Promise<HttpAnswer>;

/** A `Call` over real HTTP (fetch) against a base URL. */
export function httpCaller(baseUrl: string): Call {
  return async (method, url, token, body, headers = {}) => {
    const res = await fetch(`${baseUrl}${url}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
}

/** Hold → reservation → prepare, as a storefront does; returns the reservation and the prepared order. */
export async function reserveAndPrepare(call: Call, token: string, eventId: string, seatIds: string[]) {
  const hold = await call('POST', `/v1/events/${eventId}/holds`, token, { seatIds });
  expect(hold.status, JSON.stringify(hold.body)).toBe(201);
  const reservation = await call('POST', '/v1/reservations', token, { holdId: hold.body.id });
  expect(reservation.status, JSON.stringify(reservation.body)).toBe(201);
  const prepared = await call('POST', '/v1/payments/prepare', token, { reservationId: reservation.body.id });
  expect(prepared.status, JSON.stringify(prepared.body)).toBe(200);
  return {
    reservationId: reservation.body.id as string,
    orderId: prepared.body.orderId as string,
    amount: prepared.body.amount as number,
    prepared: prepared.body,
  };
}

/** The buyer approving in the sandbox's payment window; the paymentKey the success redirect carries. */
export async function approve(
  call: Call,
  sandboxPath: string,
  input: { orderId: string; amount: number; method?: string; failWith?: string; delayMs?: number },
): Promise<string> {
  const res = await call('POST', `${sandboxPath}/approve`, undefined, { method: 'CARD', ...input });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.paymentKey as string;
}

/**
 * No charge without a ticket, no ticket without a charge: every charge the provider holds money for
 * has exactly one confirmed payment of a confirmed reservation; every fully refunded charge has a
 * refunded payment and no confirmed reservation; nothing confirmed here was not charged there.
 */
export async function expectChargesMatchTickets(db: Queryable, charges: SandboxCharge[]) {
  const { rows } = await db.query<{
    payment_key: string;
    status: string;
    amount: number;
    refunded_amount: number;
    reservation_status: string;
  }>(
    `SELECT p.payment_key, p.status, p.amount, p.refunded_amount, r.status AS reservation_status
       FROM payment.payments p JOIN ticket.reservations r ON r.id = p.reservation_id WHERE p.payment_key IS NOT NULL`,
  );
  const byKey = new Map(rows.map((r) => [r.payment_key, r]));
  for (const c of charges) {
    const p = c.payment;
    const ours = byKey.get(p.paymentKey);
    const label = `charge ${p.orderId} (${p.status}, balance ${p.balanceAmount})`;
    if (p.status === 'DONE' || p.status === 'PARTIAL_CANCELED') {
      expect([label, ours?.status, ours?.reservation_status]).toEqual([
        label,
        p.status === 'DONE' ? 'confirmed' : 'partially_refunded',
        'confirmed',
      ]);
      expect([label, ours!.amount - ours!.refunded_amount]).toEqual([label, p.balanceAmount]);
    } else if (p.status === 'CANCELED') {
      // Money returned; if the charge was for one of our orders, our record says so.
      if (ours) expect([label, ours.status]).toEqual([label, 'refunded']);
      expect([label, ours?.reservation_status === 'confirmed']).toEqual([label, false]);
    } else {
      expect([label, ['confirmed', 'partially_refunded', 'refunded'].includes(ours?.status ?? '')]).toEqual([label, false]);
    }
  }
  const charged = new Set(charges.filter((c) => c.payment.approvedAt).map((c) => c.payment.paymentKey));
  for (const r of rows)
    if (['confirmed', 'partially_refunded', 'refunded'].includes(r.status))
      expect([r.payment_key, charged.has(r.payment_key)]).toEqual([r.payment_key, true]);
  // The database's own rule: a confirmed reservation has exactly one money-holding payment.
  const { rows: unpaid } = await db.query(
    `SELECT r.id FROM ticket.reservations r
      WHERE r.status = 'confirmed'
        AND (SELECT count(*) FROM payment.payments p WHERE p.reservation_id = r.id AND p.status IN ('confirmed', 'partially_refunded')) <> 1`,
  );
  expect(unpaid).toEqual([]);
}
