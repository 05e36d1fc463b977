// The SDK's browser build (sdk/dist/index.js, as a storefront loads it) in headless Chromium against
// a real API server: the realtime channel connects with the browser's own WebSocket, a seat watch
// receives `seat.held` after a hold made through the API, and the queue helper resolves with an
// admission that the next hold carries by itself.
//
// Chromium is Debian's `chromium` package (.ci/run installs it), driven by puppeteer-core; no
// browser is downloaded. CHROMIUM_PATH points elsewhere. Skipped only when Chromium is missing and
// this is not root (who could install it); under CI, as root, a missing Chromium fails the test.
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createAdmin, createTestApp, type TestApp } from '../../test/harness/app.js';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const present = existsSync(CHROMIUM);
const mayInstall = process.getuid?.() === 0;
if (!present && !mayInstall)
  console.warn(`browser SDK test skipped: no Chromium at ${CHROMIUM} and not root to install it (apt-get install chromium)`);

// The page: the SDK's ESM build and its one dependency, resolved by an import map, as a storefront
// without a bundler would load them.
const files: Record<string, string> = {
  '/sdk.js': path.join(root, 'sdk/dist/index.js'),
  '/openapi-fetch.js': path.join(root, 'node_modules/openapi-fetch/dist/index.mjs'),
};
const page = `<!doctype html><html><head><script type="importmap">{"imports":{"openapi-fetch":"/openapi-fetch.js"}}</script>
<script type="module">import { Tiketi } from '/sdk.js'; window.Tiketi = Tiketi;</script></head><body>storefront</body></html>`;

type Win = typeof globalThis & Record<string, unknown>;

describe.skipIf(!present && !mayInstall)('the SDK in headless Chromium', () => {
  let t: TestApp;
  let server: http.Server;
  let browser: Browser;
  let tab: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!present) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (as .ci/run does)`);
    for (const file of Object.values(files)) if (!existsSync(file)) throw new Error(`${file} is missing: npm run build`);
    server = http.createServer((req, res) => {
      const file = files[req.url ?? ''];
      if (file) res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
      else res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t = await createTestApp({ listen: true, config: { RATE_LIMIT: 'off' } });
    // Root has no user namespace sandbox here; the page only ever loads our own test server.
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    tab = await browser.newPage();
    tab.on('pageerror', (err) => pageErrors.push(String(err)));
    await tab.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await tab.waitForFunction(() => typeof (globalThis as Win).Tiketi === 'function', { timeout: 15_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    server?.close();
  });

  it('connects the live channel, watches seats, and waits in line until admitted', { timeout: 120_000 }, async () => {
    const seated = await createEventFixture(t.db);
    const queued = await createEventFixture(t.db, { generalAdmission: [{ name: 'Standing', quantity: 20, price: 10_000 }] });
    const admin = await createAdmin(t);
    const [shopper, other] = await createUsers(t, 2);
    const configured = await t.app.inject({
      method: 'PATCH',
      url: `/v1/events/${queued.eventId}/queue`,
      headers: bearer(admin.token),
      payload: { enabled: true, paused: true },
    });
    expect(configured.statusCode).toBe(200);

    // In the page: a client on the browser's own fetch and WebSocket, and a seat watch.
    const watching = await tab.evaluate(
      async (opts) => {
        const w = globalThis as Win;
        const Tiketi = w.Tiketi as new (config: object) => {
          seats: { watch: (id: string, h: object) => { ready: Promise<void> } };
        };
        const client = new Tiketi({ baseUrl: opts.baseUrl, realtimeUrl: opts.realtimeUrl, token: opts.token });
        w.client = client;
        w.changes = [];
        w.snapshots = [];
        const watch = client.seats.watch(opts.eventId, {
          onSnapshot: (map: { version: number }) => (w.snapshots as number[]).push(map.version),
          onChange: (change: unknown) => (w.changes as unknown[]).push(change),
        });
        await watch.ready;
        // The snapshot is loaded once the subscription is confirmed.
        while ((w.snapshots as number[]).length === 0) await new Promise((r) => setTimeout(r, 20));
        return { version: (w.snapshots as number[])[0]!, nativeWebSocket: typeof WebSocket === 'function', userAgent: navigator.userAgent };
      },
      { baseUrl: t.baseUrl, realtimeUrl: `ws://127.0.0.1:${t.realtime!.port}`, token: shopper!.token, eventId: seated.eventId },
    );
    expect(watching.nativeWebSocket).toBe(true);
    expect(watching.userAgent).toMatch(/HeadlessChrome/);
    expect(watching.version).toEqual(expect.any(Number));

    // Another buyer holds two seats through the API; the page hears of it.
    const seatIds = seated.seats.A!.slice(0, 2);
    const hold = await t.app.inject({
      method: 'POST',
      url: `/v1/events/${seated.eventId}/holds`,
      headers: bearer(other!.token),
      payload: { seatIds },
    });
    expect(hold.statusCode, hold.body).toBe(201);
    await tab.waitForFunction(() => ((globalThis as Win).changes as Array<{ type: string }>).some((c) => c.type === 'seat.held'), {
      timeout: 15_000,
    });
    const held = await tab.evaluate(() => ((globalThis as Win).changes as Array<{ type: string }>).find((c) => c.type === 'seat.held'));
    expect(held).toMatchObject({ type: 'seat.held', seatIds: expect.arrayContaining(seatIds) });
    expect((held as unknown as { version: number }).version).toBeGreaterThan(watching.version);

    // The waiting room: the helper joins, follows the line live and resolves with the admission.
    await tab.evaluate((eventId) => {
      const w = globalThis as Win;
      w.positions = [];
      const client = w.client as { queue: { waitForAdmission: (id: string, o: object) => Promise<unknown> } };
      void client.queue
        .waitForAdmission(eventId, { onPosition: (p: { position: number }) => (w.positions as number[]).push(p.position) })
        .then(
          (admission) => (w.admission = admission),
          (err: unknown) => (w.admissionError = String(err)),
        );
    }, queued.eventId);
    await tab.waitForFunction(() => ((globalThis as Win).positions as number[]).includes(1), { timeout: 15_000 });
    const admitted = await t.app.inject({
      method: 'POST',
      url: `/v1/events/${queued.eventId}/queue/admit`,
      headers: bearer(admin.token),
      payload: { count: 1 },
    });
    expect(admitted.json()).toMatchObject({ admitted: 1, userIds: [shopper!.userId] });
    await tab.waitForFunction(() => (globalThis as Win).admission !== undefined || (globalThis as Win).admissionError !== undefined, {
      timeout: 15_000,
    });
    const outcome = await tab.evaluate(() => ({ admission: (globalThis as Win).admission, error: (globalThis as Win).admissionError }));
    expect(outcome.error).toBeUndefined();
    expect(outcome.admission).toMatchObject({ token: expect.any(String), expiresAt: expect.any(String) });

    // The admission rides along on the next hold by itself.
    const gaHold = await tab.evaluate(
      async (opts) => {
        const client = (globalThis as Win).client as { holds: { create: (id: string, body: object) => Promise<{ items: unknown[] }> } };
        return client.holds.create(opts.eventId, { items: [{ ticketTypeId: opts.ticketTypeId, quantity: 2 }] });
      },
      { eventId: queued.eventId, ticketTypeId: queued.gaTypes.Standing! },
    );
    expect(gaHold.items).toEqual([expect.objectContaining({ ticketTypeId: queued.gaTypes.Standing, quantity: 2 })]);
    expect(pageErrors).toEqual([]);
  });
});
