// What the scenarios share: configuration by environment, setup through the admin API, the buyer's
// purchase path, and the domain promises checked through the API and the sandbox's record.
import type { Ctx, HttpRequest, HttpResponse, Provisioner, TestUser } from './adapter.ts';

export type Env = Record<string, string | undefined>;

export function num(env: Env, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name}=${v} is not a number`);
  return n;
}

/** `LOADTEST_SMOKE=1`: every scenario's smoke variant (seconds, a handful of users). */
export const isSmoke = (env: Env) => env.LOADTEST_SMOKE === '1' || env.LOADTEST_SMOKE === 'true';

/** A small seeded generator (mulberry32), so a run's picks can be replayed with LOADTEST_SEED. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A request as a storefront sends it: a 503 (a dependency stalled; the API says when to retry) is
 * retried after a second, up to four times, and counted in `retried_503`. A 503 that outlasts the
 * retries is returned, and the step's check fails on it.
 */
export async function call(ctx: Ctx, req: HttpRequest): Promise<HttpResponse> {
  const expect = [...(req.expect ?? [200, 201, 204]), 503];
  for (let attempt = 1; ; attempt++) {
    const res = await ctx.http({ ...req, expect });
    if (res.status !== 503 || attempt > 4) return res;
    ctx.count('retried_503');
    await ctx.sleep(attempt);
  }
}

export function fail(what: string, res: HttpResponse): never {
  throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
}

/** Signs in the admin named by LOADTEST_ADMIN_EMAIL / LOADTEST_ADMIN_PASSWORD (or uses LOADTEST_ADMIN_TOKEN). */
export async function adminToken(ctx: Ctx): Promise<string> {
  if (ctx.env.LOADTEST_ADMIN_TOKEN) return ctx.env.LOADTEST_ADMIN_TOKEN;
  const email = ctx.env.LOADTEST_ADMIN_EMAIL;
  const password = ctx.env.LOADTEST_ADMIN_PASSWORD;
  if (!email || !password) throw new Error('set LOADTEST_ADMIN_EMAIL and LOADTEST_ADMIN_PASSWORD (or LOADTEST_ADMIN_TOKEN)');
  const res = await call(ctx, { method: 'POST', path: '/v1/auth/login', body: { email, password }, step: 'setup' });
  if (res.status !== 200) fail('admin login', res);
  return res.body.token as string;
}

/** Registers buyers through the API, 20 at a time (passwords are hashed: slow, fine for smoke sizes). */
export const apiProvisioner: Provisioner = {
  async users(ctx, count) {
    const stamp = `${ctx.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
    const out: TestUser[] = [];
    for (let i = 0; i < count; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, count - i) }, (_, j) =>
          call(ctx, {
            method: 'POST',
            path: '/v1/auth/register',
            body: { email: `load-${stamp}-${i + j}@example.com`, password: 'load-test-password', name: `Load ${i + j}` },
            step: 'setup',
          }),
        ),
      );
      for (const res of batch) {
        if (res.status !== 201) fail('register', res);
        out.push({ userId: (res.body.user as { id: string }).id, token: res.body.token as string });
      }
    }
    return out;
  },
};

export interface EventSpec {
  /** Seated: rows × seatsPerRow in one section. */
  rows?: number;
  seatsPerRow?: number;
  /** General admission quantity (0 = none). */
  generalAdmission?: number;
  price?: number;
}

export interface CreatedEvent {
  eventId: string;
  seatIds: string[];
  gaTypeId: string | null;
}

/** An on-sale event through the admin API: a seat layout, the event with its seats, a GA type. */
export async function createEvent(ctx: Ctx, admin: string, name: string, spec: EventSpec): Promise<CreatedEvent> {
  const price = spec.price ?? 50_000;
  let seatLayoutId: string | undefined;
  if (spec.rows && spec.seatsPerRow) {
    const layout = await call(ctx, {
      method: 'POST',
      path: '/v1/seat-layouts',
      token: admin,
      step: 'setup',
      body: {
        name: `${name} ${ctx.now()}`,
        sections: [{ name: 'A', ticketType: 'R', price, rows: spec.rows, seatsPerRow: spec.seatsPerRow }],
      },
    });
    if (layout.status !== 201) fail('create seat layout', layout);
    seatLayoutId = layout.body.id as string;
  }
  const event = await call(ctx, {
    method: 'POST',
    path: '/v1/events',
    token: admin,
    step: 'setup',
    body: {
      title: `Load test: ${name} ${ctx.now()}`,
      venue: 'Load Hall',
      eventDate: new Date(ctx.now() + 30 * 86_400_000).toISOString(),
      status: 'on_sale',
      ...(seatLayoutId ? { seatLayoutId } : {}),
    },
  });
  if (event.status !== 201) fail('create event', event);
  const eventId = event.body.id as string;
  let gaTypeId: string | null = null;
  if (spec.generalAdmission) {
    const ga = await call(ctx, {
      method: 'POST',
      path: `/v1/events/${eventId}/ticket-types`,
      token: admin,
      step: 'setup',
      body: { name: 'Standing', kind: 'general', price, totalQuantity: spec.generalAdmission },
    });
    if (ga.status !== 201) fail('create GA ticket type', ga);
    gaTypeId = ga.body.id as string;
  }
  const map = await call(ctx, { method: 'GET', path: `/v1/events/${eventId}/seats`, step: 'setup' });
  if (map.status !== 200) fail('seat map', map);
  const seatIds = (map.body.seats as Array<{ id: string }>).map((s) => s.id);
  return { eventId, seatIds, gaTypeId };
}

export async function configureQueue(ctx: Ctx, admin: string, eventId: string, patch: Record<string, unknown>) {
  const res = await call(ctx, { method: 'PATCH', path: `/v1/events/${eventId}/queue`, token: admin, body: patch, step: 'setup' });
  if (res.status !== 200) fail('configure queue', res);
}

/** Hold (with the admission token when given) → reservation → prepare → sandbox approve → confirm. */
export async function buy(
  ctx: Ctx,
  user: TestUser,
  eventId: string,
  what: { seatIds: string[] } | { items: Array<{ ticketTypeId: string; quantity: number }> },
  queueToken?: string,
): Promise<'confirmed' | 'unavailable' | 'failed'> {
  const hold = await call(ctx, {
    method: 'POST',
    path: `/v1/events/${eventId}/holds`,
    token: user.token,
    body: what,
    headers: queueToken ? { 'X-Queue-Token': queueToken } : {},
    step: 'hold',
    expect: [201, 409],
  });
  if (hold.status === 409) return 'unavailable';
  if (!ctx.check('hold 201', hold.status === 201)) return 'failed';
  const reservation = await call(ctx, {
    method: 'POST',
    path: '/v1/reservations',
    token: user.token,
    body: { holdId: hold.body.id },
    step: 'reserve',
  });
  if (!ctx.check('reservation 201', reservation.status === 201)) return 'failed';
  const prepared = await call(ctx, {
    method: 'POST',
    path: '/v1/payments/prepare',
    token: user.token,
    body: { reservationId: reservation.body.id },
    step: 'prepare',
  });
  if (!ctx.check('prepare 200', prepared.status === 200)) return 'failed';
  const orderId = prepared.body.orderId as string;
  const amount = prepared.body.amount as number;
  const approved = await call(ctx, {
    method: 'POST',
    path: `${ctx.sandboxUrl}/approve`,
    body: { orderId, amount, method: 'CARD' },
    step: 'approve',
  });
  if (!ctx.check('sandbox approve 200', approved.status === 200)) return 'failed';
  const confirmed = await call(ctx, {
    method: 'POST',
    path: '/v1/payments/confirm',
    token: user.token,
    body: { paymentKey: approved.body.paymentKey, orderId, amount },
    headers: { 'Idempotency-Key': `confirm-${orderId}` },
    step: 'confirm',
  });
  return ctx.check('confirm 200', confirmed.status === 200) ? 'confirmed' : 'failed';
}

/** Every page of an admin list. */
async function allPages(ctx: Ctx, admin: string, path: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const res = await call(ctx, {
      method: 'GET',
      path: `${path}${sep}limit=200${cursor ? `&cursor=${cursor}` : ''}`,
      token: admin,
      step: 'verify',
    });
    if (res.status !== 200) fail(`GET ${path}`, res);
    out.push(...(res.body.data as Array<Record<string, unknown>>));
    cursor = res.body.nextCursor as string | null;
    if (!cursor) return out;
  }
}

/**
 * The domain promises, through the API and the sandbox's own record (so k6 can check them too),
 * recorded as counters that the thresholds hold at zero:
 * - `seats_oversold`: a seat in more than one confirmed reservation, or more seats sold than exist;
 * - `ga_oversold`: a general-admission type with fewer than zero left, or more confirmed than it had;
 * - `payments_lost`: a charge the sandbox made with no confirmed payment of a confirmed reservation
 *   (and not refunded), or a confirmed payment the sandbox never charged.
 * Returns the figures for the summary.
 */
export async function verifyPromises(ctx: Ctx, admin: string, event: CreatedEvent) {
  const reservations = await allPages(ctx, admin, `/v1/reservations?eventId=${event.eventId}`);
  const confirmed = reservations.filter((r) => r.status === 'confirmed');
  const seatCount = new Map<string, number>();
  let gaConfirmed = 0;
  for (const r of confirmed)
    for (const item of r.items as Array<{ seatId: string | null; quantity: number; ticketTypeId: string }>) {
      if (item.seatId) seatCount.set(item.seatId, (seatCount.get(item.seatId) ?? 0) + 1);
      else if (item.ticketTypeId === event.gaTypeId) gaConfirmed += item.quantity;
    }
  let oversold = [...seatCount.values()].filter((n) => n > 1).length;
  if (seatCount.size > event.seatIds.length) oversold += seatCount.size - event.seatIds.length;
  ctx.count('seats_oversold', oversold);

  let gaOversold = 0;
  if (event.gaTypeId) {
    const types = await call(ctx, { method: 'GET', path: `/v1/events/${event.eventId}/ticket-types`, step: 'verify' });
    const list = (Array.isArray(types.body.data) ? types.body.data : (types.body as unknown)) as Array<Record<string, unknown>>;
    const ga = Array.isArray(list) ? list.find((t) => t.id === event.gaTypeId) : undefined;
    if (ga) {
      const available = Number(ga.availableQuantity ?? ga.available ?? 0);
      const total = Number(ga.totalQuantity ?? 0);
      if (available < 0) gaOversold++;
      if (gaConfirmed > total) gaOversold += gaConfirmed - total;
    }
  }
  ctx.count('ga_oversold', gaOversold);

  const charges = await call(ctx, { method: 'GET', path: `${ctx.sandboxUrl}/charges`, step: 'verify' });
  const payments = await allPages(ctx, admin, `/v1/payments?eventId=${event.eventId}`);
  const byKey = new Map(payments.filter((p) => p.paymentKey).map((p) => [p.paymentKey as string, p]));
  const confirmedIds = new Set(confirmed.map((r) => r.id as string));
  const ours = new Set(payments.map((p) => p.orderId as string));
  let lost = 0;
  let charged = 0;
  const chargedKeys = new Set<string>();
  for (const c of (charges.body.data as Array<{ payment: Record<string, unknown> }>) ?? []) {
    const p = c.payment;
    if (!ours.has(p.orderId as string)) continue; // another event's (or another run's) charge
    if (!p.approvedAt) continue;
    charged++;
    chargedKeys.add(p.paymentKey as string);
    const mine = byKey.get(p.paymentKey as string);
    if (p.status === 'DONE' || p.status === 'PARTIAL_CANCELED') {
      if (!mine || !['confirmed', 'partially_refunded'].includes(mine.status as string) || !confirmedIds.has(mine.reservationId as string))
        lost++;
    } else if (p.status === 'CANCELED') {
      if (mine && mine.status !== 'refunded') lost++;
    }
  }
  for (const p of payments)
    if (['confirmed', 'partially_refunded', 'refunded'].includes(p.status as string) && !chargedKeys.has(p.paymentKey as string)) lost++;
  // A confirmed reservation has exactly one money-holding payment.
  const holding = new Map<string, number>();
  for (const p of payments)
    if (['confirmed', 'partially_refunded'].includes(p.status as string))
      holding.set(p.reservationId as string, (holding.get(p.reservationId as string) ?? 0) + 1);
  for (const id of confirmedIds) if ((holding.get(id) ?? 0) !== 1) lost++;
  ctx.count('payments_lost', lost);
  return { confirmedReservations: confirmed.length, seatsSold: seatCount.size, gaConfirmed, charged, oversold, gaOversold, lost };
}

/**
 * Latency thresholds, given for a full run on an idle machine: `p(95)<…`, `p(99)<…` in ms, scaled
 * by LOADTEST_LATENCY_SCALE (default 1, and 20 for the smoke, which runs beside builds and test
 * suites on a shared CI machine and exists to prove the paths and promises, not the speed).
 */
export function latency(env: Env, p95: number, p99: number): string[] {
  const scale = num(env, 'LOADTEST_LATENCY_SCALE', isSmoke(env) ? 20 : 1);
  return [`p(95)<${p95 * scale}`, `p(99)<${p99 * scale}`];
}

/** The thresholds every scenario holds: few failed requests, checks pass, promises kept. */
export function baseThresholds(): Record<string, string[]> {
  return {
    http_req_failed: ['rate<0.01'],
    checks: ['rate>0.99'],
    seats_oversold: ['count==0'],
    ga_oversold: ['count==0'],
    payments_lost: ['count==0'],
  };
}
export const PROMISE_COUNTERS = ['seats_oversold', 'ga_oversold', 'payments_lost', 'retried_503'];
