// The domain promises checked after every run from the database itself and the sandbox's own
// record of charges (not from what the API answered): seats sold at most once, general admission
// never below zero, admissions in join order, every charge matched by exactly one confirmed
// reservation or a refund. Each finding is a count; the summary holds them at zero.
import pg from 'pg';

export interface DomainFindings {
  /** Seats in more than one confirmed reservation, or sold without one, or more sold than confirmed. */
  seatsSoldTwice: number;
  /** GA types with available < 0, or more confirmed than they had. */
  gaBelowZero: number;
  /** Pairs of buyers admitted out of join order (a later place admitted in an earlier round). */
  admissionOrderViolations: number;
  /** Charges without exactly one confirmed reservation (and not refunded), and confirmed payments never charged. */
  paymentsLost: number;
  /** What was looked at. */
  seen: { seatsSold: number; confirmedReservations: number; charges: number; admissions: number };
  /** Seats of the events not sold (any status but `sold`), and when the last reservation was confirmed (ms since epoch). */
  seatsUnsold: number;
  lastConfirmedAtMs: number | null;
  details: string[];
}

interface Charge {
  payment: { paymentKey: string; orderId: string; status: string; approvedAt: string | null; balanceAmount: number };
}

export async function checkDomain(opts: {
  databaseUrl: string;
  sandboxUrl: string;
  eventIds: string[];
  admissions: Array<{ position: number; admittedAtServer: number }>;
}): Promise<DomainFindings> {
  const db = new pg.Client({ connectionString: opts.databaseUrl });
  await db.connect();
  const details: string[] = [];
  try {
    const ids = opts.eventIds;
    const twice = await db.query<{ seat_id: string; n: number }>(
      `SELECT ri.seat_id, count(*)::int AS n FROM ticket.reservation_items ri JOIN ticket.reservations r ON r.id = ri.reservation_id
        WHERE r.event_id = ANY($1) AND r.status = 'confirmed' AND ri.seat_id IS NOT NULL GROUP BY ri.seat_id HAVING count(*) > 1`,
      [ids],
    );
    const soldWithout = await db.query<{ id: string }>(
      `SELECT s.id FROM ticket.seats s LEFT JOIN ticket.reservations r ON r.id = s.reservation_id
        WHERE s.event_id = ANY($1) AND s.status = 'sold' AND (r.status IS DISTINCT FROM 'confirmed')`,
      [ids],
    );
    const sold = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ticket.seats WHERE event_id = ANY($1) AND status = 'sold'`, [
      ids,
    ]);
    const confirmedSeats = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ticket.reservation_items ri JOIN ticket.reservations r ON r.id = ri.reservation_id
        WHERE r.event_id = ANY($1) AND r.status = 'confirmed' AND ri.seat_id IS NOT NULL`,
      [ids],
    );
    const seatsSoldTwice = twice.rows.length + soldWithout.rows.length + Math.max(0, confirmedSeats.rows[0]!.n - sold.rows[0]!.n);
    if (seatsSoldTwice)
      details.push(
        `seats sold twice: ${JSON.stringify(twice.rows.slice(0, 5))}, sold without a confirmed reservation: ${soldWithout.rows.length}`,
      );

    const ga = await db.query<{ id: string; total_quantity: number; available_quantity: number; confirmed: number; live: number }>(
      `SELECT t.id, t.total_quantity, t.available_quantity,
              coalesce(sum(ri.quantity) FILTER (WHERE r.status = 'confirmed'), 0)::int AS confirmed,
              coalesce(sum(ri.quantity) FILTER (WHERE r.status IN ('confirmed', 'pending')), 0)::int AS live
         FROM ticket.ticket_types t
         LEFT JOIN ticket.reservation_items ri ON ri.ticket_type_id = t.id
         LEFT JOIN ticket.reservations r ON r.id = ri.reservation_id
        WHERE t.event_id = ANY($1) AND t.kind = 'general' GROUP BY t.id`,
      [ids],
    );
    let gaBelowZero = 0;
    for (const t of ga.rows)
      if (t.available_quantity < 0 || t.live > t.total_quantity || t.available_quantity > t.total_quantity - t.live) {
        gaBelowZero++;
        details.push(`GA type ${t.id}: total ${t.total_quantity}, available ${t.available_quantity}, in live reservations ${t.live}`);
      }

    // Admission order: by join place, the server's admission instants never go back in time.
    const byPlace = [...opts.admissions].sort((a, b) => a.position - b.position);
    let admissionOrderViolations = 0;
    let latest = -Infinity;
    for (const a of byPlace) {
      if (a.admittedAtServer < latest) admissionOrderViolations++;
      latest = Math.max(latest, a.admittedAtServer);
    }
    if (admissionOrderViolations) details.push(`${admissionOrderViolations} buyers admitted before someone who joined ahead of them`);

    // Every charge: exactly one confirmed reservation, or refunded; nothing confirmed uncharged.
    const res = await fetch(`${opts.sandboxUrl}/charges`);
    const charges = ((await res.json()) as { data: Charge[] }).data;
    const payments = await db.query<{
      payment_key: string | null;
      order_id: string;
      status: string;
      reservation_status: string;
      reservation_id: string;
    }>(
      `SELECT p.payment_key, p.order_id, p.status, r.status AS reservation_status, r.id AS reservation_id
         FROM payment.payments p JOIN ticket.reservations r ON r.id = p.reservation_id WHERE r.event_id = ANY($1)`,
      [ids],
    );
    const ours = new Set(payments.rows.map((p) => p.order_id));
    const byKey = new Map(payments.rows.filter((p) => p.payment_key).map((p) => [p.payment_key!, p]));
    let paymentsLost = 0;
    const charged = new Set<string>();
    let chargeCount = 0;
    for (const c of charges) {
      const p = c.payment;
      if (!ours.has(p.orderId) || !p.approvedAt) continue;
      chargeCount++;
      charged.add(p.paymentKey);
      const mine = byKey.get(p.paymentKey);
      const ok =
        p.status === 'DONE' || p.status === 'PARTIAL_CANCELED'
          ? mine !== undefined && ['confirmed', 'partially_refunded'].includes(mine.status) && mine.reservation_status === 'confirmed'
          : p.status === 'CANCELED'
            ? mine === undefined || (mine.status === 'refunded' && mine.reservation_status !== 'confirmed')
            : true;
      if (!ok) {
        paymentsLost++;
        details.push(`charge ${p.orderId} (${p.status}): ours ${mine ? `${mine.status}/${mine.reservation_status}` : 'missing'}`);
      }
    }
    for (const p of payments.rows)
      if (['confirmed', 'partially_refunded', 'refunded'].includes(p.status) && !charged.has(p.payment_key ?? '')) {
        paymentsLost++;
        details.push(`payment ${p.order_id} is ${p.status} but the sandbox never charged it`);
      }
    const unpaid = await db.query<{ id: string }>(
      `SELECT r.id FROM ticket.reservations r WHERE r.event_id = ANY($1) AND r.status = 'confirmed'
          AND (SELECT count(*) FROM payment.payments p WHERE p.reservation_id = r.id AND p.status IN ('confirmed', 'partially_refunded')) <> 1`,
      [ids],
    );
    paymentsLost += unpaid.rows.length;
    if (unpaid.rows.length) details.push(`${unpaid.rows.length} confirmed reservations without exactly one paid payment`);

    const confirmed = await db.query<{ n: number; last: Date | null }>(
      `SELECT count(*)::int AS n, max(confirmed_at) AS last FROM ticket.reservations WHERE event_id = ANY($1) AND status = 'confirmed'`,
      [ids],
    );
    const unsold = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ticket.seats WHERE event_id = ANY($1) AND status <> 'sold'`,
      [ids],
    );
    return {
      seatsSoldTwice,
      gaBelowZero,
      admissionOrderViolations,
      paymentsLost,
      seen: {
        seatsSold: sold.rows[0]!.n,
        confirmedReservations: confirmed.rows[0]!.n,
        charges: chargeCount,
        admissions: opts.admissions.length,
      },
      seatsUnsold: unsold.rows[0]!.n,
      lastConfirmedAtMs: confirmed.rows[0]!.last?.getTime() ?? null,
      details: details.slice(0, 20),
    };
  } finally {
    await db.end();
  }
}
