import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import type { Db } from '../../infra/db.js';
import { AppError } from '../../errors.js';
import { MAX_RANGE_DAYS } from './schemas.js';
import { canonicalTimeZone } from './time-zones.js';
import { statsCacheRepository as cache, statsRepository as repo, type DailyFigures, type EventFigures, type Range } from './repository.js';

export interface RangeParams {
  from?: string;
  to?: string;
  timeZone?: string;
  currency?: string;
}

const DAY_MS = 86_400_000;
const STARTED_AT = new Date(Date.now() - process.uptime() * 1000);

/** A ratio, or null when there is nothing to divide by. */
const ratio = (n: number, d: number) => (d > 0 ? Math.round((n / d) * 10_000) / 10_000 : null);
const median = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);

function badQuery(path: string, message: string, detail: string): AppError {
  return new AppError('VALIDATION_FAILED', detail, { errors: [{ path: `/querystring/${path}`, message }] });
}

/** Today's date (YYYY-MM-DD) in a time zone; throws RangeError for a zone Intl does not know. */
export function todayIn(timeZone: string, now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** PostgreSQL's "time zone not recognized" (or a bad datetime): a zone Intl knew but PostgreSQL does not. */
const isBadZone = (err: unknown) => ['22023', '22007', '22008'].includes((err as { code?: string }).code ?? '');

export function createStatsService(deps: {
  db: Db;
  /** STATS_TIME_ZONE: where days are cut unless a request says otherwise. */
  timeZone: string;
  /** The registry that serves /metrics: the performance view reads it. */
  registry: Registry;
  /** Waiting-room lines of enabled queues (Redis or in-process). */
  queueLines?: () => Promise<Array<{ eventId: string; waiting: number; active: number }>>;
}) {
  const { db } = deps;
  // The daily cache is keyed by the zone's canonical name, as requests are.
  const defaultZone = canonicalTimeZone(deps.timeZone) ?? deps.timeZone;

  /** The request's zone, canonical, or STATS_TIME_ZONE; 400 for a name that is not an IANA zone. */
  function zoneOf(name: string | undefined): string {
    const tz = canonicalTimeZone(name ?? defaultZone);
    if (!tz) throw badQuery('timeZone', 'is not an IANA time zone', `Unknown time zone ${name}`);
    return tz;
  }

  /** Resolves and checks a request's range: defaults, order, length and the time zone. */
  async function resolve(q: RangeParams): Promise<{ range: Range; from: string; to: string }> {
    const tz = zoneOf(q.timeZone);
    const today = todayIn(tz);
    const to = q.to ?? today;
    const from = q.from ?? dateOf(dayNumber(to) - 29);
    if (from > to) throw badQuery('from', 'is after to', `from (${from}) is after to (${to})`);
    if (dayNumber(to) - dayNumber(from) + 1 > MAX_RANGE_DAYS)
      throw badQuery('from', `spans more than ${MAX_RANGE_DAYS} days`, `A range covers at most ${MAX_RANGE_DAYS} days`);
    try {
      const { lo, hi } = await repo.bounds(db, tz, from, to);
      return { range: { tz, lo, hi }, from, to };
    } catch (err) {
      if (isBadZone(err)) throw badQuery('timeZone', 'is not a time zone the database knows', `Unknown time zone ${tz}`);
      throw err;
    }
  }

  const header = (r: { range: Range; from: string; to: string }) => ({
    generatedAt: new Date().toISOString(),
    source: 'live' as 'live' | 'cache' | 'mixed',
    cachedAt: null as string | null,
    timeZone: r.range.tz,
    from: r.from,
    to: r.to,
    rangeStart: r.range.lo.toISOString(),
    rangeEnd: r.range.hi.toISOString(),
  });

  const money = (gross: number, refunded: number) => ({ gross, refunded, net: gross - refunded });

  function dailyRow(d: DailyFigures, source: 'live' | 'cache') {
    const revenue = Number(d.revenue);
    const refunded = Number(d.refunded);
    return {
      date: d.date,
      reservationsCreated: d.reservations_created,
      reservationsConfirmed: d.reservations_confirmed,
      reservationsCancelled: d.reservations_cancelled,
      reservationsExpired: d.reservations_expired,
      ticketsSold: d.tickets_sold,
      revenue,
      refunded,
      netRevenue: revenue - refunded,
      newUsers: d.new_users,
      source,
    };
  }

  function eventRow(e: EventFigures, source: 'live' | 'cache') {
    const gross = Number(e.gross);
    const refunded = Number(e.refunded);
    return {
      eventId: e.event_id,
      title: e.title,
      status: e.status,
      eventDate: new Date(e.event_date).toISOString(),
      currency: e.currency,
      reservations: { created: e.created, pending: e.pending, confirmed: e.confirmed, cancelled: e.cancelled, expired: e.expired },
      ticketsSold: e.tickets_sold,
      soldNow: e.sold_now,
      capacity: e.capacity,
      sellThrough: ratio(e.sold_now, e.capacity),
      revenue: money(gross, refunded),
      conversionRate: ratio(e.holds_confirmed, e.holds_created),
      source,
    };
  }

  return {
    /**
     * The stats job: recomputes every event's all-time figures, and the daily rows of finished days
     * (last STATS_DAILY_CACHE_DAYS) that have no final row yet, per currency, in the configured time
     * zone. Idempotent and safe on several instances at once (upserts of the same figures).
     */
    async refreshCaches(options: { dailyDays: number; perRun?: number }): Promise<{ events: number; days: number }> {
      const events = await repo.events(db, null, { limit: 1_000_000 });
      await cache.saveEvents(db, events);
      let days = 0;
      const tz = defaultZone;
      for (const currency of await cache.currencies(db)) {
        const dates = await cache.daysToRefresh(db, tz, currency, options.dailyDays, options.perRun ?? 62);
        if (dates.length === 0) continue;
        const from = dates.at(-1)!;
        const to = dates[0]!;
        const { lo, hi } = await repo.bounds(db, tz, from, to);
        const wanted = new Set(dates);
        const rows = (await repo.daily(db, { tz, lo, hi }, currency)).filter((d) => wanted.has(d.date));
        await cache.saveDays(db, tz, currency, rows);
        days += rows.length;
      }
      return { events: events.length, days };
    },

    async overview(q: RangeParams) {
      const r = await resolve(q);
      const currency = q.currency ?? 'KRW';
      const o = await repo.overview(db, r.range, currency);
      const gross = Number(o.paid.gross);
      const refunded = Number(o.refunds.refunded);
      const n = (v: unknown) => Number(v);
      return {
        ...header(r),
        currency,
        events: {
          total: n(o.events.total),
          upcoming: n(o.events.upcoming),
          onSale: n(o.events.onSale),
          soldOut: n(o.events.soldOut),
          ended: n(o.events.ended),
          cancelled: n(o.events.cancelled),
        },
        users: { total: n(o.users.total), admins: n(o.users.admins), newInRange: n(o.users.newInRange) },
        reservations: {
          created: n(o.reservations.created),
          pending: n(o.reservations.pending),
          confirmed: n(o.reservations.confirmed),
          cancelled: n(o.reservations.cancelled),
          expired: n(o.reservations.expired),
          complimentary: n(o.reservations.complimentary),
        },
        ticketsSold: n(o.tickets_sold),
        payments: { approved: n(o.paid.approved), refunds: n(o.refunds.refunds) },
        revenue: money(gross, refunded),
        averageOrderValue: n(o.paid.approved) > 0 ? Math.round(gross / n(o.paid.approved)) : null,
      };
    },

    /** Finished days from the daily cache when it holds a final row for them; the rest live. */
    async daily(q: RangeParams) {
      const r = await resolve(q);
      const currency = q.currency ?? 'KRW';
      const cached = await cache.finalDays(db, r.range.tz, currency, r.from, r.to);
      const byDate = new Map(cached.map((c) => [c.date, c]));
      const live = byDate.size === dayNumber(r.to) - dayNumber(r.from) + 1 ? [] : await repo.daily(db, r.range, currency);
      const days = [];
      for (let d = dayNumber(r.from); d <= dayNumber(r.to); d++) {
        const date = dateOf(d);
        const hit = byDate.get(date);
        days.push(
          hit
            ? dailyRow(hit.figures, 'cache')
            : dailyRow(
                live.find((l) => l.date === date)!,
                'live',
              ),
        );
      }
      const oldest = cached.reduce<Date | null>((min, c) => (min === null || c.updatedAt < min ? c.updatedAt : min), null);
      return {
        ...header(r),
        source: cached.length === 0 ? 'live' : cached.length === days.length ? 'cache' : 'mixed',
        cachedAt: oldest?.toISOString() ?? null,
        currency,
        days,
      };
    },

    /** All time from the event cache (live for events it has not seen yet or that sold since); a range is always live. */
    async events(q: RangeParams & { status?: string; limit?: number }) {
      const currency = q.currency ?? 'KRW';
      const limit = q.limit ?? 100;
      if (q.from === undefined && q.to === undefined) {
        const tz = zoneOf(q.timeZone);
        const { rows, missing } = await cache.events(db, { currency, status: q.status, limit });
        const fresh = missing.length
          ? await repo.events(db, null, { currency, status: q.status, eventIds: missing, limit: missing.length })
          : [];
        const merged = [
          ...rows.map((c) => ({ row: eventRow(c.figures, 'cache'), at: c.updatedAt })),
          ...fresh.map((f) => ({ row: eventRow(f, 'live'), at: null })),
        ];
        merged.sort(
          (a, b) =>
            b.row.revenue.net - a.row.revenue.net ||
            b.row.ticketsSold - a.row.ticketsSold ||
            a.row.eventDate.localeCompare(b.row.eventDate) ||
            a.row.eventId.localeCompare(b.row.eventId),
        );
        const cachedTimes = rows.map((c) => c.updatedAt.getTime());
        return {
          generatedAt: new Date().toISOString(),
          source: rows.length === 0 ? 'live' : fresh.length === 0 ? 'cache' : 'mixed',
          cachedAt: cachedTimes.length ? new Date(Math.min(...cachedTimes)).toISOString() : null,
          timeZone: tz,
          from: null,
          to: null,
          rangeStart: null,
          rangeEnd: null,
          currency,
          events: merged.slice(0, limit).map((m) => m.row),
        };
      }
      const r = await resolve(q);
      const rows = await repo.events(db, r.range, { currency, status: q.status, limit });
      return { ...header(r), currency, events: rows.map((e) => eventRow(e, 'live')) };
    },

    async event(eventId: string, q: RangeParams) {
      const r = await resolve(q);
      const [e] = await repo.events(db, r.range, { eventIds: [eventId], limit: 1 });
      if (!e) throw new AppError('EVENT_NOT_FOUND', `No event ${eventId}`);
      const [types, active, days] = await Promise.all([
        repo.eventTicketTypes(db, eventId),
        repo.eventActiveHolds(db, eventId),
        repo.eventDays(db, r.range, eventId),
      ]);
      const row = eventRow(e, 'live');
      return {
        ...header(r),
        eventId,
        title: row.title,
        status: row.status,
        eventDate: row.eventDate,
        currency: row.currency,
        reservations: row.reservations,
        ticketsSold: row.ticketsSold,
        soldNow: row.soldNow,
        capacity: row.capacity,
        sellThrough: row.sellThrough,
        revenue: row.revenue,
        holds: { created: e.holds_created, converted: e.holds_converted, active },
        conversionRate: row.conversionRate,
        ticketTypes: types.map((t) => ({
          ticketTypeId: t.ticket_type_id,
          name: t.name,
          kind: t.kind,
          price: t.price,
          capacity: t.capacity,
          sold: t.sold,
          held: t.held,
          available: Math.max(0, t.capacity - t.sold - t.held),
          revenue: t.revenue,
        })),
        days: days.map((d) => ({
          date: d.date,
          reservationsConfirmed: d.reservations_confirmed,
          ticketsSold: d.tickets_sold,
          revenue: d.revenue,
        })),
      };
    },

    async payments(q: RangeParams) {
      const r = await resolve(q);
      const currency = q.currency ?? 'KRW';
      const [methods, statuses] = await Promise.all([
        repo.paymentMethods(db, r.range, currency),
        repo.paymentStatuses(db, r.range, currency),
      ]);
      const total = methods.reduce((s, m) => s + m.amount, 0);
      return {
        ...header(r),
        currency,
        methods: methods.map((m) => ({
          method: m.method,
          payments: m.payments,
          amount: m.amount,
          refunded: m.refunded,
          share: ratio(m.amount, total),
          averageAmount: m.payments > 0 ? Math.round(m.amount / m.payments) : null,
        })),
        statuses,
      };
    },

    async revenue(q: RangeParams & { groupBy?: 'day' | 'week' | 'month' }) {
      const r = await resolve(q);
      const currency = q.currency ?? 'KRW';
      const groupBy = q.groupBy ?? 'day';
      const [periods, top] = await Promise.all([
        repo.revenuePeriods(db, r.range, currency, groupBy),
        repo.topEvents(db, r.range, currency),
      ]);
      const gross = periods.reduce((s, p) => s + p.gross, 0);
      const refunded = periods.reduce((s, p) => s + p.refunded, 0);
      return {
        ...header(r),
        currency,
        groupBy,
        totals: money(gross, refunded),
        periods: periods.map((p) => ({ period: p.period, payments: p.payments, ...money(p.gross, p.refunded) })),
        topEvents: top.map((t) => ({ eventId: t.event_id, title: t.title, ...money(t.gross, t.refunded) })),
      };
    },

    async users(q: RangeParams) {
      const r = await resolve(q);
      const u = await repo.users(db, r.range);
      return {
        ...header(r),
        total: u.total,
        byRole: { user: u.total - u.admins, admin: u.admins },
        newInRange: u.new_in_range,
        buyers: u.buyers,
        repeatBuyers: u.repeat_buyers,
        signups: u.signups,
      };
    },

    async hourlyTraffic(q: RangeParams) {
      const r = await resolve(q);
      const hours = await repo.hourly(db, r.range);
      const peak = hours.reduce<(typeof hours)[number] | null>((best, h) => (h.holds > (best?.holds ?? 0) ? h : best), null);
      return { ...header(r), hours, peakHour: peak?.hour ?? null };
    },

    async conversion(q: RangeParams) {
      const r = await resolve(q);
      const currency = q.currency ?? 'KRW';
      const rows = await repo.funnel(db, r.range, currency);
      const funnel = (f: { holds: number; reservations: number; confirmed: number }) => ({
        holds: f.holds,
        reservations: f.reservations,
        confirmed: f.confirmed,
        holdToReservation: ratio(f.reservations, f.holds),
        reservationToConfirmed: ratio(f.confirmed, f.reservations),
        holdToConfirmed: ratio(f.confirmed, f.holds),
      });
      const total = rows.reduce(
        (s, f) => ({ holds: s.holds + f.holds, reservations: s.reservations + f.reservations, confirmed: s.confirmed + f.confirmed }),
        { holds: 0, reservations: 0, confirmed: 0 },
      );
      return {
        ...header(r),
        currency,
        ...funnel(total),
        events: rows.map((f) => ({ eventId: f.event_id, title: f.title, ...funnel(f) })),
      };
    },

    async cancellations(q: RangeParams) {
      const r = await resolve(q);
      const currency = q.currency ?? 'KRW';
      const c = await repo.cancellations(db, r.range, currency);
      return {
        ...header(r),
        currency,
        cancelled: c.cancelled,
        cancelledAfterPayment: c.cancelled_after_payment,
        expired: c.expired,
        confirmedInRange: c.confirmed_in_range,
        cancellationRate: ratio(c.cancelled_after_payment, c.confirmed_in_range),
        refunds: {
          payments: c.refund_payments,
          amount: c.refund_amount,
          full: c.refund_full,
          partial: c.refund_partial,
          failed: c.refund_failed,
        },
        reasons: c.reasons,
      };
    },

    async realtime(q: { currency?: string; minutes?: number }) {
      const currency = q.currency ?? 'KRW';
      const minutes = q.minutes ?? 15;
      const now = Date.now();
      const since = new Date(now - minutes * 60_000);
      const [f, queues] = await Promise.all([
        repo.realtime(db, currency, since),
        deps.queueLines ? deps.queueLines().catch(() => null) : Promise.resolve([]),
      ]);
      return {
        generatedAt: new Date(now).toISOString(),
        source: 'live' as const,
        cachedAt: null,
        currency,
        minutes,
        holds: { active: f.holds, seats: f.held_seats, generalAdmission: f.held_quantity },
        pendingReservations: f.pending,
        queues: queues?.map((l) => ({ eventId: l.eventId, waiting: l.waiting, active: l.active })) ?? null,
        recent: {
          since: since.toISOString(),
          reservationsConfirmed: f.confirmed,
          ticketsSold: f.tickets,
          revenue: f.revenue,
          holds: f.recent_holds,
        },
      };
    },

    async seatPreferences(q: RangeParams & { eventId?: string }) {
      const r = await resolve(q);
      const currency = q.currency ?? 'KRW';
      const p = await repo.seatPreferences(db, r.range, currency, q.eventId);
      const pref = (x: { capacity: number; sold: number; held: number; average_price: number | null; sold_in_range: number }) => ({
        capacity: x.capacity,
        sold: x.sold,
        held: x.held,
        sellThrough: ratio(x.sold, x.capacity),
        averagePrice: x.average_price,
        soldInRange: x.sold_in_range,
      });
      return {
        ...header(r),
        currency,
        eventId: q.eventId ?? null,
        sections: p.sections.map((s) => ({ section: s.section, ...pref(s) })),
        ticketTypes: p.ticketTypes.map((t) => ({ name: t.name, kind: t.kind, ...pref(t) })),
      };
    },

    async userBehavior(q: RangeParams) {
      const r = await resolve(q);
      const currency = q.currency ?? 'KRW';
      const b = await repo.userBehavior(db, r.range, currency);
      return {
        ...header(r),
        currency,
        orders: b.orders,
        averageTicketsPerOrder: b.avg_tickets === null ? null : Math.round(b.avg_tickets * 100) / 100,
        averageOrderValue: b.avg_value,
        ticketsPerOrder: [
          { tickets: '1', orders: b.one },
          { tickets: '2', orders: b.two },
          { tickets: '3', orders: b.three },
          { tickets: '4+', orders: b.four_plus },
        ],
        medianSecondsHoldToReservation: median(b.median_hold_seconds),
        medianSecondsReservationToPayment: median(b.median_payment_seconds),
        medianDaysBeforeEvent: median(b.median_days_before),
        repeatPurchaseRate: ratio(b.repeat_buyers, b.buyers),
        abandonedReservations: b.abandoned,
      };
    },

    /** From this process's metrics registry (the one /metrics serves): per instance, since start. */
    async performance(limit: number) {
      const requests = await deps.registry.getSingleMetric('http_requests_total')?.get();
      const duration = await deps.registry.getSingleMetric('http_request_duration_seconds')?.get();
      type Route = {
        method: string;
        route: string;
        requests: number;
        e4: number;
        e5: number;
        sum: number;
        count: number;
        buckets: Map<number, number>;
      };
      const routes = new Map<string, Route>();
      const routeOf = (labels: Record<string, string | number | undefined>) => {
        const key = `${labels.method} ${labels.route}`;
        let r = routes.get(key);
        if (!r) {
          r = {
            method: String(labels.method),
            route: String(labels.route),
            requests: 0,
            e4: 0,
            e5: 0,
            sum: 0,
            count: 0,
            buckets: new Map(),
          };
          routes.set(key, r);
        }
        return r;
      };
      for (const v of requests?.values ?? []) {
        const r = routeOf(v.labels);
        const status = Number(v.labels.status_code);
        r.requests += v.value;
        if (status >= 500) r.e5 += v.value;
        else if (status >= 400) r.e4 += v.value;
      }
      for (const v of duration?.values ?? []) {
        const r = routeOf(v.labels);
        const name = (v as { metricName?: string }).metricName ?? '';
        if (name.endsWith('_sum')) r.sum += v.value;
        else if (name.endsWith('_count')) r.count += v.value;
        else if (name.endsWith('_bucket')) {
          const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
          r.buckets.set(le, (r.buckets.get(le) ?? 0) + v.value);
        }
      }
      // Buckets are cumulative: the quantile is the first bound whose count reaches it (null past the last finite bound).
      const quantile = (r: Route, q: number) => {
        if (r.count === 0) return null;
        for (const [le, n] of [...r.buckets].sort((a, b) => a[0] - b[0])) {
          if (n >= q * r.count) return Number.isFinite(le) ? le * 1000 : null;
        }
        return null;
      };
      const all = [...routes.values()].filter((r) => r.requests > 0);
      all.sort((a, b) => b.requests - a.requests || a.route.localeCompare(b.route) || a.method.localeCompare(b.method));
      return {
        generatedAt: new Date().toISOString(),
        source: 'live' as const,
        cachedAt: null,
        scope: 'instance' as const,
        instance: {
          pid: process.pid,
          hostname: hostname(),
          startedAt: STARTED_AT.toISOString(),
          uptimeSeconds: Math.round(process.uptime()),
        },
        totals: {
          requests: all.reduce((s, r) => s + r.requests, 0),
          errors5xx: all.reduce((s, r) => s + r.e5, 0),
          errors4xx: all.reduce((s, r) => s + r.e4, 0),
        },
        routes: all.slice(0, limit).map((r) => ({
          method: r.method,
          route: r.route,
          requests: r.requests,
          errors4xx: r.e4,
          errors5xx: r.e5,
          meanMs: r.count > 0 ? Math.round((r.sum / r.count) * 1000 * 1000) / 1000 : null,
          p50Ms: quantile(r, 0.5),
          p95Ms: quantile(r, 0.95),
          p99Ms: quantile(r, 0.99),
        })),
      };
    },
  };
}

export type StatsService = ReturnType<typeof createStatsService>;
