// The admin jobs of issue 12 through `tiketi` (in-process) against a live API: stats after a real
// purchase, holds, ticket type and seat layout changes, complimentary reservations, event cancel,
// get → edit → update, confirmations, token host binding, URL normalising and tables for scripts.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createAdmin, createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';
import { approve, httpCaller, reserveAndPrepare } from '../../test/harness/payments.js';
import { resultOf, runCli, tempConfigHome, type CliRun } from './run-cli.js';

let t: TestApp;
let env: Record<string, string>;
let home: string;
const ok = <T = Record<string, unknown>>(run: CliRun): T => {
  expect(run.code, run.stderr + run.stdout).toBe(0);
  expect(run.json, run.stdout).toMatchObject({ status: 'ok' });
  return resultOf<T>(run);
};

beforeAll(async () => {
  t = await createTestApp({ listen: true, config: { RATE_LIMIT: 'off' } });
  const admin = await createAdmin(t);
  home = tempConfigHome();
  env = { XDG_CONFIG_HOME: home };
  ok(await runCli(['login', '-e', admin.email, '--api-url', `${t.baseUrl}/v1/`, '--json'], { ...env, TIKETI_PASSWORD: admin.password }));
});
afterAll(async () => t?.close());

/** A paid order for two seats of a fresh event, made through the API as a buyer would. */
async function purchase() {
  const ev = await createEventFixture(t.db, { sections: [{ name: 'A', rows: 1, seatsPerRow: 6, price: 30_000 }] });
  const [buyer] = await createUsers(t, 1);
  const call = httpCaller(t.baseUrl);
  const order = await reserveAndPrepare(call, buyer!.token, ev.eventId, ev.seats.A!.slice(0, 2));
  const paymentKey = await approve(call, '/sandbox/toss', { orderId: order.orderId, amount: order.amount });
  const confirmed = await call('POST', '/v1/payments/confirm', buyer!.token, { paymentKey, orderId: order.orderId, amount: order.amount });
  expect(confirmed.status).toBe(200);
  return { ev, buyer: buyer!, order, paymentKey };
}

describe('stats', { timeout: 180_000 }, () => {
  it('shows a purchased event in `stats events --json` with at least the revenue paid, and every view answers', async () => {
    const { ev, order } = await purchase();
    // All time: from the event cache, except events that sold since it was written (computed live).
    type EventsView = { source: string; events: { eventId: string; revenue: { gross: number }; ticketsSold: number }[] };
    const allTime = ok<EventsView>(await runCli(['stats', 'events', '--json'], env));
    const sold = allTime.events.find((e) => e.eventId === ev.eventId);
    expect(sold, JSON.stringify(allTime.events)).toBeDefined();
    expect(sold!.revenue.gross, JSON.stringify(sold)).toBeGreaterThanOrEqual(order.amount);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Seoul' }).format(new Date());
    const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const view = ok<EventsView>(await runCli(['stats', 'events', '--from', yesterday, '--to', today, '--json'], env));
    expect(view.source).toBe('live');
    const row = view.events.find((e) => e.eventId === ev.eventId);
    expect(row, JSON.stringify(view.events)).toBeDefined();
    expect(row!.revenue.gross, JSON.stringify(row)).toBeGreaterThanOrEqual(order.amount);
    expect(row!.ticketsSold).toBe(2);
    const one = ok<{ revenue: { gross: number } }>(await runCli(['stats', 'event', ev.eventId, '--json'], env));
    expect(one.revenue.gross).toBe(order.amount);

    const views = [
      'overview',
      'daily',
      'payments',
      'revenue',
      'users',
      'hourly-traffic',
      'conversion',
      'cancellations',
      'realtime',
      'seat-preferences',
      'user-behavior',
      'performance',
    ];
    for (const v of views) {
      const json = await runCli(['stats', v, '--json'], env);
      expect(json.code, `${v}: ${json.stdout}`).toBe(0);
      const human = await runCli(['stats', v], env);
      expect(human.code, `${v}: ${human.stderr}`).toBe(0);
      expect(human.stdout.length, v).toBeGreaterThan(0);
      expect(human.stderr, v).toMatch(/\((live|cache|mixed)/); // says how fresh it is
    }
    const overview = ok<{ ticketsSold: number; revenue: { gross: number } }>(await runCli(['stats', 'overview', '--json'], env));
    expect(overview.revenue.gross).toBeGreaterThanOrEqual(order.amount);
    // Humans get the event's row with its revenue; CSV for spreadsheets.
    const table = await runCli(['stats', 'events', '--from', yesterday, '--to', today, '--columns', 'event,gross'], env);
    expect(table.stdout).toMatch(new RegExp(`${ev.eventId}\\t${order.amount.toLocaleString('en-US')} KRW`));
    const csv = await runCli(['stats', 'daily', '--csv', '--columns', 'date,tickets'], env);
    expect(csv.stdout.split('\n')[0]).toBe('Date,Tickets');
    const bad = await runCli(['stats', 'daily', '--from', '2026-12-01', '--to', '2026-11-01', '--json'], env);
    expect([bad.code, bad.json]).toEqual([2, expect.objectContaining({ status: 'error', code: 'VALIDATION_FAILED' })]);
  });
});

describe('admin jobs', { timeout: 180_000 }, () => {
  it('lists, shows and releases a stuck hold', async () => {
    const ev = await createEventFixture(t.db, { sections: [{ name: 'A', rows: 1, seatsPerRow: 4, price: 1000 }] });
    const user = await registerUser(t.app);
    const hold = await t.app.inject({
      method: 'POST',
      url: `/v1/events/${ev.eventId}/holds`,
      headers: bearer(user.token),
      payload: { seatIds: ev.seats.A!.slice(0, 2) },
    });
    expect(hold.statusCode).toBe(201);
    const listed = ok<{ data: { id: string }[] }>(
      await runCli(['holds', 'list', '--event', ev.eventId, '--status', 'active', '--json'], env),
    );
    expect(listed.data.map((h) => h.id)).toEqual([hold.json().id]);
    expect(ok(await runCli(['holds', 'get', hold.json().id, '--json'], env))).toMatchObject({ status: 'active', userId: user.userId });
    // Not on a terminal and no --yes: refused, and the hold is still there.
    const refused = await runCli(['holds', 'release', hold.json().id, '--json'], env);
    expect([refused.code, refused.json]).toEqual([2, expect.objectContaining({ code: 'CONFIRMATION_REQUIRED' })]);
    expect(ok(await runCli(['holds', 'get', hold.json().id, '--json'], env))).toMatchObject({ status: 'active' });
    expect(ok(await runCli(['holds', 'release', hold.json().id, '--yes', '--json'], env))).toMatchObject({ status: 'released' });
    const map = ok<{ counts: { available: number } }>(await runCli(['seats', 'map', ev.eventId, '--json'], env));
    expect(map.counts.available).toBe(4);
  });

  it('round-trips get --json → update --file, updates and deletes a seat layout, and deletes a ticket type', async () => {
    const layout = ok<{ id: string }>(
      await runCli(
        [
          'seat-layouts',
          'create',
          '--data',
          '{ name: Round Hall, sections: [{ name: A, ticketType: A, price: 1000, rows: 1, seatsPerRow: 5 }] }',
          '--json',
        ],
        env,
      ),
    );
    const printed = await runCli(['seat-layouts', 'get', layout.id, '--json'], env);
    const layoutFile = path.join(home, 'layout.json');
    writeFileSync(layoutFile, printed.stdout.replace('"Round Hall"', '"Round Hall II"').replace('"seatsPerRow": 5', '"seatsPerRow": 7'));
    const updatedRun = await runCli(['seat-layouts', 'update', layout.id, '--file', layoutFile, '--json'], env);
    expect(resultOf(updatedRun)).toMatchObject({ name: 'Round Hall II', totalSeats: 7 });
    expect((updatedRun.json as { warnings: string[] }).warnings[0]).toMatch(/Ignored fields that cannot be changed: id,.*totalSeats/);

    const event = ok<{ id: string }>(
      await runCli(
        [
          'events',
          'create',
          '--data',
          JSON.stringify({ title: 'Edit Me', venue: 'Hall', eventDate: '2027-08-01T10:00:00Z', seatLayoutId: layout.id }),
          '--json',
        ],
        env,
      ),
    );
    const got = await runCli(['events', 'get', event.id, '--json'], env);
    const eventFile = path.join(home, 'event.json');
    writeFileSync(eventFile, got.stdout.replace('"Edit Me"', '"Edited"'));
    expect(ok(await runCli(['events', 'update', event.id, '--file', eventFile, '--json'], env))).toMatchObject({ title: 'Edited' });
    expect(ok(await runCli(['events', 'get', event.id, '--json'], env))).toMatchObject({ title: 'Edited' });
    // The layout is used now: changing or deleting it is refused with the conflict exit code.
    const used = await runCli(['seat-layouts', 'delete', layout.id, '--yes', '--json'], env);
    expect(used.code).toBe(6);

    const spare = ok<{ id: string }>(
      await runCli(
        [
          'seat-layouts',
          'create',
          '--data',
          '{ name: Spare Hall, sections: [{ name: A, ticketType: A, price: 1, rows: 1, seatsPerRow: 1 }] }',
          '--json',
        ],
        env,
      ),
    );
    expect(ok(await runCli(['seat-layouts', 'delete', spare.id, '--yes', '--json'], env))).toEqual({ id: spare.id, deleted: true });

    const ga = ok<{ id: string }>(
      await runCli(
        ['ticket-types', 'create', event.id, '--data', '{ name: Floor, kind: general, price: 5000, totalQuantity: 10 }', '--json'],
        env,
      ),
    );
    expect(ok(await runCli(['ticket-types', 'delete', ga.id, '--yes', '--json'], env))).toEqual({ id: ga.id, deleted: true });
    const list = ok<{ data: { id: string }[] }>(await runCli(['ticket-types', 'list', event.id, '--json'], env));
    expect(list.data.map((x) => x.id)).not.toContain(ga.id);
    expect(ok(await runCli(['events', 'open-sale', event.id, '--json'], env))).toMatchObject({ status: 'on_sale' });
    expect(ok(await runCli(['events', 'close-sale', event.id, '--yes', '--json'], env))).toMatchObject({ status: 'ended' });
  });

  it('issues a complimentary reservation by email, finds it by buyer email with event and buyer columns, then cancels the event with refunds', async () => {
    const { ev, buyer, order } = await purchase();
    const guest = await registerUser(t.app);
    expect(ok(await runCli(['users', 'find', guest.email.toUpperCase(), '--json'], env))).toMatchObject({ id: guest.userId });
    const comp = ok<{ id: string; complimentary: boolean; status: string; totalAmount: number }>(
      await runCli(
        [
          'reservations',
          'complimentary',
          '--event',
          ev.eventId,
          '--email',
          guest.email,
          '--seat',
          ev.seats.A![3]!,
          '--note',
          'press',
          '--json',
        ],
        env,
      ),
    );
    expect(comp).toMatchObject({ complimentary: true, status: 'confirmed' });
    const mine = ok<{ data: { id: string; buyerEmail: string }[] }>(
      await runCli(['reservations', 'list', '--email', guest.email, '--json'], env),
    );
    expect(mine.data.map((r) => r.id)).toEqual([comp.id]);
    const human = await runCli(['reservations', 'list', '--event', ev.eventId, '--columns', 'number,event,buyer', '--no-header'], env);
    expect(human.stdout).toContain(guest.email);
    expect(human.stdout).not.toMatch(/^Number/m);

    const cancelled = ok<{ status: string; reservations: { refunded: number; confirmed: number; pending: number } }>(
      await runCli(['events', 'cancel', ev.eventId, '--reason', 'artist ill', '--yes', '--json'], env),
    );
    expect(cancelled).toMatchObject({ status: 'done', reservations: { confirmed: 0, pending: 0 } });
    expect(cancelled.reservations.refunded).toBeGreaterThanOrEqual(1);
    const payments = ok<{ data: { orderId: string; status: string }[] }>(
      await runCli(['payments', 'list', '--event', ev.eventId, '--json'], env),
    );
    expect(payments.data.find((p) => p.orderId === order.orderId)).toMatchObject({ status: 'refunded' });
    expect(buyer.userId).toBeTruthy();
  });
});

describe('scripting habits', { timeout: 120_000 }, () => {
  it('never sends a profile token to another host, and validates API URLs', async () => {
    const elsewhere = await runCli(['events', 'list', '--json'], { ...env, TIKETI_API_URL: 'http://127.0.0.1:9' });
    expect([elsewhere.code, elsewhere.json]).toEqual([3, expect.objectContaining({ code: 'TOKEN_HOST_MISMATCH' })]);
    expect((elsewhere.json as { message: string }).message).toContain('http://127.0.0.1:9');
    const bad = await runCli(['events', 'list', '--json'], { ...env, TIKETI_API_URL: 'localhost:3000' });
    expect([bad.code, bad.json]).toEqual([2, expect.objectContaining({ code: 'INVALID_API_URL' })]);
    // The same server spelled with /v1 is the same server.
    expect((await runCli(['whoami', '--json'], { ...env, TIKETI_API_URL: `${t.baseUrl}/v1` })).code).toBe(0);
  });

  it('prints pages for pipes: data on stdout, the next-page hint on stderr, --csv and --no-header', async () => {
    for (const name of ['a', 'b', 'c'])
      ok(await runCli(['news', 'create', '--data', `{ title: pipe-${name}, content: x }`, '--json'], env));
    const page = await runCli(['news', 'list', '--limit', '2', '--columns', 'title'], env);
    expect(page.code).toBe(0);
    expect(page.stdout.trim().split('\n')).toHaveLength(3); // header + 2 rows, no box drawing
    expect(page.stdout).not.toMatch(/[│┌─]/);
    expect(page.stderr).toMatch(/More: --cursor \S+/);
    const csv = await runCli(['news', 'list', '--limit', '2', '--csv', '--no-header', '--columns', 'title,views'], env);
    expect(csv.stdout.trim().split('\n')).toEqual([expect.stringMatching(/^pipe-.,0$/), expect.stringMatching(/^pipe-.,0$/)]);
    const unknown = await runCli(['news', 'list', '--columns', 'nope'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown column "nope".*\n.*Columns: ID, Title/);
  });

  it('prints an error once, with its code and hint', async () => {
    const res = await runCli(['events', 'get', '00000000-0000-4000-8000-000000000000'], env);
    expect(res.code).toBe(5);
    expect(res.stdout).toBe('');
    expect(res.stderr.match(/EVENT_NOT_FOUND/g)).toHaveLength(1);
    expect(res.stderr).toMatch(/Try this: /);
  });

  it('answers --help on every topic, `help`, `autocomplete --help`, and suggests a command for a typo', async () => {
    const root = await runCli(['help']);
    expect(root.code).toBe(0);
    for (const topic of [
      'api-keys',
      'events',
      'seat-layouts',
      'ticket-types',
      'seats',
      'queue',
      'holds',
      'reservations',
      'payments',
      'users',
      'stats',
      'news',
      'keyword-mappings',
    ]) {
      expect(root.stdout).toMatch(new RegExp(`\\n\\s+${topic}\\s+\\S`));
      const help = await runCli([topic, '--help']);
      expect(help.code, topic).toBe(0);
      expect(help.stdout, topic).toMatch(new RegExp(`\\$ tiketi ${topic} COMMAND`));
    }
    const complete = await runCli(['autocomplete', '--help']);
    expect(complete.code).toBe(0);
    expect(complete.stdout).toContain('autocomplete');
    const typo = await runCli(['evnts', 'list']);
    expect(typo.code).not.toBe(0);
    // oclif colours the name where it thinks the terminal can show colours (CI=true can make it think so).
    expect(stripVTControlCharacters(typo.stderr)).toMatch(/evnts list is not a tiketi command/);
  });
});

describe('rate limits', { timeout: 120_000 }, () => {
  it('gives up at once with exit 8 when Retry-After ends past --timeout', async () => {
    const limited = await createTestApp({ listen: true, config: { RATE_LIMIT_MAX: 2, RATE_LIMIT_WINDOW_MS: 60_000 } });
    try {
      const local = { XDG_CONFIG_HOME: tempConfigHome(), TIKETI_API_URL: limited.baseUrl };
      let last: CliRun | undefined;
      for (let i = 0; i < 4; i++) {
        last = await runCli(['events', 'list', '--timeout', '5', '--json'], local);
        if (last.code !== 0) break;
      }
      expect(last!.code).toBe(8);
      expect(last!.json).toMatchObject({ status: 'error', code: 'RATE_LIMITED', exitCode: 8, httpStatus: 429 });
      expect((last!.json as { suggestion: string }).suggestion).toMatch(/Wait \d+ s/);
    } finally {
      await limited.close();
    }
  });
});
