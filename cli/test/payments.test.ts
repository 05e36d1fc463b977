// `payments list | get | refund` through the built `tiketi` against a live API on the sandbox provider.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, createTestApp, type TestApp } from '../../test/harness/app.js';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';
import { approve, httpCaller, reserveAndPrepare } from '../../test/harness/payments.js';
import { runCli, tempConfigHome, type CliRun } from './run-cli.js';

let t: TestApp;
let env: Record<string, string>;
const ok = (run: CliRun) => {
  expect(run.stderr, run.stdout).toBe('');
  expect(run.code).toBe(0);
  return run.json as Record<string, unknown>;
};

describe('payments against a live API', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    t = await createTestApp({ listen: true, config: { RATE_LIMIT: 'off' } });
    const admin = await createAdmin(t);
    env = { XDG_CONFIG_HOME: tempConfigHome() };
    ok(await runCli(['login', '-e', admin.email, '-p', admin.password, '--api-url', t.baseUrl, '--json'], env));
  });
  afterAll(async () => t?.close());

  it('lists, shows and refunds a payment, partly then fully', async () => {
    const ev = await createEventFixture(t.db, { sections: [{ name: 'A', rows: 1, seatsPerRow: 4, price: 10_000 }] });
    const [buyer] = await createUsers(t, 1);
    const call = httpCaller(t.baseUrl);
    const order = await reserveAndPrepare(call, buyer!.token, ev.eventId, ev.seats.A!.slice(0, 2));
    const paymentKey = await approve(call, '/sandbox/toss', { orderId: order.orderId, amount: order.amount });
    expect(
      (await call('POST', '/v1/payments/confirm', buyer!.token, { paymentKey, orderId: order.orderId, amount: order.amount })).status,
    ).toBe(200);

    const listed = ok(await runCli(['payments', 'list', '--event', ev.eventId, '--status', 'confirmed', '--json'], env)) as {
      data: { orderId: string }[];
    };
    expect(listed.data.map((p) => p.orderId)).toEqual([order.orderId]);
    const table = await runCli(['payments', 'list', '--event', ev.eventId], env);
    expect(table.stdout).toContain(order.orderId);
    expect(ok(await runCli(['payments', 'get', order.orderId, '--json'], env))).toMatchObject({
      paymentKey,
      status: 'confirmed',
      amount: 20_000,
    });

    const part = ok(await runCli(['payments', 'refund', paymentKey, '--reason', 'goodwill', '--amount', '5000', '--json'], env));
    expect(part).toMatchObject({ status: 'partially_refunded', refundedAmount: 5000 });
    const full = await runCli(['payments', 'refund', paymentKey, '--reason', 'event cancelled'], env);
    expect(full.stdout).toContain(`Payment ${order.orderId} is refunded: 20000 of 20000 KRW refunded.`);
    const again = await runCli(['payments', 'refund', paymentKey, '--reason', 'again', '--json'], env);
    expect([again.code, again.json]).toEqual([6, expect.objectContaining({ code: 'PAYMENT_NOT_REFUNDABLE' })]);
    const missing = await runCli(['payments', 'get', 'NO-SUCH-ORDER', '--json'], env);
    expect([missing.code, missing.json]).toEqual([5, expect.objectContaining({ code: 'PAYMENT_NOT_FOUND' })]);
  });
});
