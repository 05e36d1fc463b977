// The process dies after the provider charged and before our commit: a real API process (the
// entry point, as `npm start` runs it) with the test-only TIKETI_FAULT=exit-after-provider-confirm,
// and the sandbox in this test process so its record of charges outlives the API. A fresh process
// then settles what the dead one left, from the provider's record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/harness/app.js';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';
import { expectChargesMatchTickets, httpCaller, reserveAndPrepare } from '../../test/harness/payments.js';
import { startServerProcess, type ServerProcess } from '../../test/harness/server-process.js';
import { loadConfig } from '../src/config.js';
import { createPool, type Db } from '../src/infra/db.js';
import { startTossSandbox, type RunningTossSandbox } from '../src/modules/payments/sandbox/server.js';

const JWT_SECRET = 'crash-test-secret-crash-test-secret';
let databaseUrl: string;
let db: Db;
let sandbox: RunningTossSandbox;
const servers: ServerProcess[] = [];

const env = (extra: Record<string, string | undefined>) => ({
  DATABASE_URL: databaseUrl,
  REDIS_URL: undefined,
  JWT_SECRET,
  TIKETI_SEED: 'none',
  RATE_LIMIT: 'off',
  LOG_LEVEL: 'info',
  NODE_ENV: 'test',
  PAYMENTS_PROVIDER: 'sandbox',
  TOSS_API_URL: sandbox.url,
  ...extra,
});

beforeAll(async () => {
  databaseUrl = await createTestDatabase();
  db = createPool(databaseUrl, 4);
  sandbox = await startTossSandbox();
});
afterAll(async () => {
  for (const s of servers) await s.stop();
  await db?.end();
  await sandbox?.close();
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const state = async (orderId: string) =>
  (
    await db.query<{ payment: string; reservation: string; seats: string[] }>(
      `SELECT p.status AS payment, r.status AS reservation,
              ARRAY(SELECT s.status FROM ticket.seats s JOIN ticket.reservation_items ri ON ri.seat_id = s.id
                     WHERE ri.reservation_id = r.id ORDER BY s.id) AS seats
         FROM payment.payments p JOIN ticket.reservations r ON r.id = p.reservation_id WHERE p.order_id = $1`,
      [orderId],
    )
  ).rows[0]!;

/** Starts a faulty API, pays one order on it, and returns once the process died after the provider's charge. */
async function crashAfterCharge(token: string, eventId: string, seatIds: string[]) {
  const server = await startServerProcess(env({ TIKETI_FAULT: 'exit-after-provider-confirm' }));
  servers.push(server);
  const call = httpCaller(server.baseUrl);
  const order = await reserveAndPrepare(call, token, eventId, seatIds);
  const { paymentKey } = sandbox.sandbox.approve({ orderId: order.orderId, amount: order.amount, method: 'CARD' });
  const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));
  // The connection drops: the process exits before it answers.
  await expect(call('POST', '/v1/payments/confirm', token, { paymentKey, orderId: order.orderId, amount: order.amount })).rejects.toThrow();
  expect(await exited).toBe(86);
  // Charged at the provider, not settled here: the state the reconciliation job must heal.
  expect(sandbox.sandbox.charge(order.orderId)!.payment.status).toBe('DONE');
  expect(await state(order.orderId)).toMatchObject({ payment: 'in_progress', reservation: 'pending' });
  return order;
}

describe('a process killed between the provider confirm and our commit', () => {
  it('is healed by reconciliation: seats sold if still ours, the charge refunded if not', async () => {
    const ev = await createEventFixture(db);
    const [buyer, other] = await createUsers({ db, config: loadConfig({}, { JWT_SECRET }) }, 2);
    const kept = await crashAfterCharge(buyer!.token, ev.eventId, ev.seats.A!.slice(0, 2));
    const lost = await crashAfterCharge(other!.token, ev.eventId, ev.seats.A!.slice(2, 3));
    // While nobody was settling, the second reservation ended (an operator released it).
    await db.query(`UPDATE ticket.reservations SET status = 'cancelled', ended_at = now(), cancel_reason = 'operator' WHERE id = $1`, [
      lost.reservationId,
    ]);
    await db.query(`UPDATE ticket.seats SET status = 'available', reservation_id = NULL WHERE reservation_id = $1`, [lost.reservationId]);

    const healer = await startServerProcess(env({ PAYMENT_RECONCILE_INTERVAL_MS: '200', PAYMENT_RECONCILE_AFTER_MS: '0' }));
    servers.push(healer);
    await waitFor(
      async () => (await state(kept.orderId)).payment === 'confirmed' && (await state(lost.orderId)).payment === 'refunded',
    ).catch((err) => {
      throw new Error(`${(err as Error).message}; healer log:\n${healer.lines.slice(-30).join('\n')}`);
    });

    expect(await state(kept.orderId)).toEqual({ payment: 'confirmed', reservation: 'confirmed', seats: ['sold', 'sold'] });
    expect(await state(lost.orderId)).toMatchObject({ payment: 'refunded', reservation: 'cancelled' });
    expect(sandbox.sandbox.charge(kept.orderId)!.payment.status).toBe('DONE');
    expect(sandbox.sandbox.charge(lost.orderId)!.payment).toMatchObject({ status: 'CANCELED', balanceAmount: 0 });
    // The buyer asking again gets the settled answer, and the provider was never asked to confirm twice.
    const again = await httpCaller(healer.baseUrl)('GET', `/v1/payments/orders/${kept.orderId}`, buyer!.token);
    expect(again.body).toMatchObject({ status: 'confirmed', amount: 200_000 });
    expect(sandbox.sandbox.charge(kept.orderId)!.confirmRequests).toBe(1);
    await expectChargesMatchTickets(db, sandbox.sandbox.charges());
  }, 420_000);

  it('refuses the fault switch in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', TIKETI_FAULT: 'exit-after-provider-confirm' })).toThrow(/tests only/);
  });
});
