// The load-balanced stack (npm run stack) with two API instances behind HAProxy: many buyers go
// through the whole purchase (seat hold → reservation → prepare → sandbox approval → confirm) via
// the load balancer, one instance is SIGKILLed mid-sale, and the database shows afterwards that no
// seat was sold twice, every buyer ended with exactly one confirmed purchase (those who met an error
// retried through the surviving instance), and every charge the provider made has its ticket.
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';
import { expectChargesMatchTickets } from '../../test/harness/payments.js';
import { seededRandom } from '../../test/harness/random.js';
import { eventually } from '../../test/harness/wait.js';
import { wsConnect, type WsClient } from '../../test/harness/ws-client.js';
import { loadConfig } from '../../api/src/config.js';
import { createPool, type Db } from '../../api/src/infra/db.js';
import { findHaproxy, HaproxyMissing } from '../stack/haproxy.js';
import { startStack, type Stack } from '../stack/stack.js';

const BUYERS = 30;
const SEATS = 50; // room for seats a dead instance left held until they expire
const CONCURRENCY = 10;
const KILL_AFTER_CONFIRMED = 8;
const LATE_BUYERS = 5; // arrive after the kill: served by the survivor alone

let haproxy: string | undefined;
try {
  haproxy = findHaproxy({ install: true, log: console.log });
} catch (err) {
  if (!(err instanceof HaproxyMissing)) throw err;
  console.warn(`SKIPPED deploy/test/stack.test.ts: ${err.message}`);
}

let stack: Stack;
let db: Db;
let dataDir: string;

beforeAll(async () => {
  if (!haproxy) return;
  dataDir = mkdtempSync(path.join(tmpdir(), 'tiketi-stack-'));
  chmodSync(dataDir, 0o755); // as root, lets the `postgres` user keep the data here
  stack = await startStack({
    instances: 2,
    port: 0,
    dataDir,
    fastPostgres: true,
    env: {
      TIKETI_SEED: 'none',
      LOG_LEVEL: 'warn',
      // Short lifetimes, so what a dead instance left half-done (holds, pending reservations, a
      // confirm it started) is released or settled within the test.
      HOLD_TTL_SECONDS: '15',
      RESERVATION_TTL_SECONDS: '45',
      SWEEP_INTERVAL_MS: '500',
      TOSS_TIMEOUT_MS: '5000',
      PAYMENT_RECONCILE_INTERVAL_MS: '1000',
      PAYMENT_RECONCILE_AFTER_MS: '10000',
    },
    log: (line) => console.log(`stack: ${line}`),
  });
  db = createPool(stack.databaseUrl, 4);
}, 300_000);

afterAll(async () => {
  await db?.end();
  await stack?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 120_000);

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** One buyer's view: what they saw go wrong, and how it ended. */
interface Buyer {
  userId: string;
  token: string;
  /** Every answer that was not the happy one: `status code` (0 = the connection failed). */
  errors: string[];
  confirmed?: { reservationId: string; seatId: string; orderId: string };
}

// Answers worth the same request again, with the same Idempotency-Key: the load balancer could not
// get an answer from an instance (it died), or the first attempt is still recorded as in flight.
const RETRY_SAME = (a: Answer) =>
  a.status === 0 ||
  a.status === 502 ||
  a.status === 503 ||
  a.status === 504 ||
  a.body.code === 'IDEMPOTENCY_KEY_IN_USE' ||
  a.body.code === 'PAYMENT_IN_PROGRESS';

async function send(url: string, method: string, token: string | undefined, body: unknown, key?: string): Promise<Answer> {
  try {
    const res = await fetch(url, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { text: text.slice(0, 200) }; // HAProxy's own 502/503 pages are HTML
    }
    return { status: res.status, body: parsed };
  } catch (err) {
    return { status: 0, body: { error: (err as Error).message } };
  }
}

/** A storefront's request: retried with the same Idempotency-Key while no instance could answer it. */
async function step(buyer: Buyer, method: string, url: string, body: unknown, key = randomUUID()): Promise<Answer> {
  for (let wait = 200; ; wait = Math.min(wait * 2, 2000)) {
    const answer = await send(`${stack.url}${url}`, method, buyer.token, body, key);
    // Status 0 (the connection dropped: the instance died with the request) is not an answer: retry it.
    if (answer.status >= 200 && answer.status < 400) return answer;
    buyer.errors.push(`${url.split('/')[2]} ${answer.status} ${String(answer.body.code ?? '')}`);
    if (!RETRY_SAME(answer)) return answer;
    await new Promise((r) => setTimeout(r, wait));
  }
}

describe.skipIf(!haproxy)('npm run stack: two instances behind HAProxy', () => {
  it('one instance SIGKILLed mid-sale: no seat sold twice, every buyer ends with one purchase, no charge without its ticket', async () => {
    const { int, seed } = seededRandom();
    console.log(`seed ${seed}`);
    const event = await createEventFixture(db, { sections: [{ name: 'A', rows: 5, seatsPerRow: SEATS / 5, price: 50_000 }] });
    const seats = event.seats.A!;
    const config = loadConfig({ ...process.env, JWT_SECRET: stack.jwtSecret, DATABASE_URL: stack.databaseUrl });
    const users: Buyer[] = (await createUsers({ db, config }, BUYERS + 1)).map((u) => ({ ...u, errors: [] }));
    const crashBuyer = users.pop()!;
    const buyers = users;

    // Two sockets through the load balancer (leastconn: one per instance), following the event's seats.
    const wsUrl = `${stack.url.replace('http', 'ws')}/v1/realtime`;
    const follow = async (): Promise<WsClient> => {
      const c = await wsConnect(wsUrl);
      c.send({ op: 'subscribe', topic: `event.${event.eventId}.seats` });
      await c.next((m) => m.type === 'subscribed');
      return c;
    };
    const sockets = [await follow(), await follow()];

    let confirmedCount = 0;
    let crashed: Promise<void> | undefined;
    let confirmedAfterKill = 0;
    let killedAt: number | undefined;
    let markKilled = () => {};
    const afterKill = new Promise<void>((resolve) => (markKilled = resolve));
    const victim = stack.api[0]!;
    const statsBefore = await stack.stats();

    /** Seat → hold → reservation → prepare → approval, through the load balancer; undefined if the seat was lost. */
    const order = async (buyer: Buyer, seatId: string, approval: Record<string, unknown> = {}) => {
      const hold = await step(buyer, 'POST', `/v1/events/${event.eventId}/holds`, { seatIds: [seatId] });
      if (hold.status !== 201) return undefined; // taken (by another buyer, or by our own lost attempt)
      const reservation = await step(buyer, 'POST', '/v1/reservations', { holdId: hold.body.id });
      if (reservation.status !== 201) return undefined;
      const reservationId = reservation.body.id as string;
      const prepared = await step(buyer, 'POST', '/v1/payments/prepare', { reservationId });
      if (prepared.status !== 200) return undefined;
      const { orderId, amount } = prepared.body as { orderId: string; amount: number };
      // The buyer approves in the sandbox's payment window, reached through the load balancer too.
      const approved = await step(buyer, 'POST', '/sandbox/toss/approve', { orderId, amount, method: 'CARD', ...approval });
      expect(approved.status, JSON.stringify(approved.body)).toBe(200);
      return { reservationId, seatId, orderId, confirm: { paymentKey: approved.body.paymentKey as string, orderId, amount } };
    };
    const pickSeat = (tried: Set<string>) => {
      const free = seats.filter((s) => !tried.has(s));
      const seatId = free[int(free.length)]!;
      tried.add(seatId);
      return seatId;
    };

    const buy = async (buyer: Buyer) => {
      const tried = new Set<string>();
      for (let attempt = 1; attempt <= 12; attempt++) {
        const o = await order(buyer, pickSeat(tried));
        if (!o) continue;
        const confirm = await step(buyer, 'POST', '/v1/payments/confirm', o.confirm);
        if (confirm.status !== 200) continue; // e.g. the reservation expired while an instance was down: refunded, start over
        expect(confirm.body.status).toBe('confirmed');
        buyer.confirmed = { reservationId: o.reservationId, seatId: o.seatId, orderId: o.orderId };
        confirmedCount++;
        if (killedAt) confirmedAfterKill++;
        // Mid-sale, the first instance dies with a confirm in flight.
        if (confirmedCount === KILL_AFTER_CONFIRMED) crashed = crashMidConfirm(crashBuyer);
        return;
      }
    };

    /**
     * One buyer's confirm reaches the victim (sent to it directly: HAProxy could have routed it
     * there), the provider charges, and the instance is SIGKILLed before it commits or answers. The
     * buyer's storefront sees the connection drop and retries through the load balancer with the
     * same Idempotency-Key until the surviving side settles it.
     */
    const crashMidConfirm = async (buyer: Buyer) => {
      const tried = new Set<string>();
      let o: Awaited<ReturnType<typeof order>>;
      // The provider's answer comes 5 s late: the charge is made, the instance still waits.
      while (!(o = await order(buyer, pickSeat(tried), { delayMs: 5000 })));
      const key = randomUUID();
      const direct = send(`http://127.0.0.1:${victim.httpPort}/v1/payments/confirm`, 'POST', buyer.token, o.confirm, key);
      await eventually(async () => stack.sandbox.charge(o.orderId)?.payment.status === 'DONE', 20);
      killedAt = Date.now();
      await victim.kill('SIGKILL');
      markKilled();
      const lost = await direct;
      expect(lost.status, 'the killed instance never answered').toBe(0);
      buyer.errors.push('confirm 0 (instance killed mid-confirm)');
      const again = await step(buyer, 'POST', '/v1/payments/confirm', o.confirm, key);
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      expect(again.body.status).toBe('confirmed');
      buyer.confirmed = { reservationId: o.reservationId, seatId: o.seatId, orderId: o.orderId };
    };

    // Most buyers start at once; the last few arrive only once the instance is dead.
    const queue = buyers.slice(0, BUYERS - LATE_BUYERS);
    const late = buyers.slice(BUYERS - LATE_BUYERS);
    await Promise.all([
      ...Array.from({ length: CONCURRENCY }, async () => {
        for (let b = queue.shift(); b; b = queue.shift()) await buy(b);
      }),
      afterKill.then(() => Promise.all(late.map(buy))),
    ]);
    expect(crashed, 'the instance was killed during the sale').toBeDefined();
    await crashed;
    expect(victim.child.signalCode).toBe('SIGKILL');
    await stack.waitForServers([victim.name], 'DOWN');
    buyers.push(crashBuyer);

    // Both instances served the sale through HAProxy; the survivor went on after the kill.
    const sessions = (rows: Array<Record<string, string>>, server: string) =>
      Number(rows.find((r) => r.pxname === 'api' && r.svname === server)?.stot ?? 0);
    const statsAfter = await stack.stats();
    for (const a of stack.api) expect([a.name, sessions(statsAfter, a.name) - sessions(statsBefore, a.name) > 0]).toEqual([a.name, true]);
    expect(confirmedAfterKill).toBeGreaterThanOrEqual(LATE_BUYERS);

    // Every buyer ended with a purchase; the ones who met errors say which (all retried to success).
    const unfinished = buyers.filter((b) => !b.confirmed).map((b) => ({ userId: b.userId, errors: b.errors }));
    expect(unfinished).toEqual([]);
    const troubled = buyers.filter((b) => b.errors.length);
    console.log(`${buyers.length} buyers confirmed, ${confirmedAfterKill} after the kill; ${troubled.length} met errors and retried:`);
    const runs = (errors: string[]) =>
      errors.reduce<Array<[string, number]>>((acc, e) => {
        const last = acc[acc.length - 1];
        if (last?.[0] === e) last[1]++;
        else acc.push([e, 1]);
        return acc;
      }, []);
    for (const b of troubled)
      console.log(
        `  ${b.userId}: ${runs(b.errors)
          .map(([e, n]) => (n > 1 ? `${e} ×${n}` : e))
          .join(', ')}`,
      );
    // Errors are answers a storefront can act on: the load balancer's 502/503 while an instance died,
    // or a problem+json code (never a 500).
    for (const e of troubled.flatMap((b) => b.errors)) expect(e).toMatch(/ (0|502|503|504) | (409|410|422) [A-Z_]+$/);

    // What a dead instance left half-done settles: no confirm in flight, no hold or pending
    // reservation outlives its lifetime.
    await eventually(async () => {
      const { rows } = await db.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM payment.payments WHERE status = 'in_progress')
              + (SELECT count(*) FROM ticket.reservations WHERE status = 'pending')
              + (SELECT count(*) FROM ticket.seats WHERE event_id = $1 AND status = 'held') AS n`,
        [event.eventId],
      );
      return Number(rows[0]!.n) === 0;
    }, 500);

    // From the database: one confirmed reservation per buyer, each seat sold once, sold = confirmed.
    const { rows: confirmed } = await db.query<{ user_id: string; seat_id: string }>(
      `SELECT r.user_id, ri.seat_id FROM ticket.reservations r JOIN ticket.reservation_items ri ON ri.reservation_id = r.id
        WHERE r.event_id = $1 AND r.status = 'confirmed'`,
      [event.eventId],
    );
    // On a failure, say whose purchases are extra, with their reservations and payments.
    const perUser = new Map<string, number>();
    for (const r of confirmed) perUser.set(r.user_id, (perUser.get(r.user_id) ?? 0) + 1);
    const extra = [...perUser]
      .filter(([, n]) => n > 1)
      .map(([u, n]) => `${u} ×${n}: ${buyers.find((b) => b.userId === u)?.errors.join(', ') ?? 'not a buyer'}`);
    if (extra.length) {
      const dump = await db.query(
        `SELECT r.id, r.user_id, r.hold_id, r.status, r.created_at, r.confirmed_at, r.total_amount,
                (SELECT json_agg(ri.seat_id) FROM ticket.reservation_items ri WHERE ri.reservation_id = r.id) AS seats,
                (SELECT json_agg(json_build_object('order', p.order_id, 'status', p.status)) FROM payment.payments p WHERE p.reservation_id = r.id) AS payments
           FROM ticket.reservations r WHERE r.event_id = $1 AND r.user_id = ANY($2::uuid[]) ORDER BY r.created_at`,
        [event.eventId, [...perUser].filter(([, n]) => n > 1).map(([u]) => u)],
      );
      console.log('extra purchases:', JSON.stringify(dump.rows, null, 1));
    }
    expect(confirmed, extra.join('\n')).toHaveLength(buyers.length);
    expect(new Set(confirmed.map((r) => r.user_id))).toEqual(new Set(buyers.map((b) => b.userId)));
    expect(new Set(confirmed.map((r) => r.seat_id)).size).toBe(buyers.length);
    expect(new Set(confirmed.map((r) => r.seat_id))).toEqual(new Set(buyers.map((b) => b.confirmed!.seatId)));
    const { rows: sold } = await db.query<{ id: string }>(`SELECT id FROM ticket.seats WHERE event_id = $1 AND status = 'sold'`, [
      event.eventId,
    ]);
    expect(new Set(sold.map((r) => r.id))).toEqual(new Set(confirmed.map((r) => r.seat_id)));
    // No payment lost: every charge the provider made has its confirmed ticket, or was refunded.
    await expectChargesMatchTickets(db, stack.sandbox.charges());

    // Realtime through the load balancer: the socket on the dead instance was dropped, the other
    // stayed; a reconnect lands on the survivor and sees seat changes made through either.
    await Promise.race(sockets.map((s) => s.closed));
    expect(sockets.map((s) => s.ws.readyState).sort()).toEqual([sockets[0]!.ws.OPEN, sockets[0]!.ws.CLOSED].sort());
    const again = await follow();
    const probe = buyers[0]!;
    const free = seats.filter((s) => !sold.some((r) => r.id === s));
    const hold = await step(probe, 'POST', `/v1/events/${event.eventId}/holds`, { seatIds: [free[0]] });
    expect(hold.status).toBe(201);
    for (const c of [again, ...sockets.filter((s) => s.ws.readyState === s.ws.OPEN)]) {
      await c.next((m) => m.type === 'seat.held' && (m.seatIds as string[]).includes(free[0]!), 30_000);
      c.ws.close();
    }
  }, 600_000);
});
