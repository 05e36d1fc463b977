import { Type, type TProperties, type Static } from '@sinclair/typebox';
import { Nullable, StrictObject, Timestamp, Uuid } from '../../schemas.js';

// ---- query parameters ---------------------------------------------------------------------

/** A calendar date (YYYY-MM-DD); 31 February and the like are refused by the `date` format. */
export const DATE_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$';
const DateParam = (description: string) => Type.String({ format: 'date', pattern: DATE_PATTERN, description });
/** IANA zone names such as `Asia/Seoul`, `America/Argentina/Buenos_Aires`, `Etc/GMT+9`, `UTC`; the name is then checked against the zone database. */
export const TIME_ZONE_PATTERN = '^[A-Za-z][A-Za-z0-9_+-]{0,30}(/[A-Za-z0-9_+-]{1,30}){0,2}$';

/** Longest range a view answers for, in days (a daily series has one row per day). */
export const MAX_RANGE_DAYS = 731;

export const rangeQuery = {
  from: Type.Optional(DateParam('First day, inclusive, in `timeZone`; default: 29 days before `to`')),
  to: Type.Optional(DateParam('Last day, inclusive, in `timeZone`; default: today')),
  timeZone: Type.Optional(
    Type.String({
      maxLength: 64,
      pattern: TIME_ZONE_PATTERN,
      description: 'IANA time zone the days are cut in; default STATS_TIME_ZONE (Asia/Seoul)',
    }),
  ),
};
const currencyQuery = {
  currency: Type.Optional(
    Type.String({
      pattern: '^[A-Z]{3}$',
      description: 'Only events sold in this currency count (money is never summed across currencies); default KRW',
    }),
  ),
};

export const RangeQuery = StrictObject({ ...rangeQuery, ...currencyQuery });
export const UsersQuery = StrictObject({ ...rangeQuery });
export const EventsStatsQuery = StrictObject({
  ...rangeQuery,
  ...currencyQuery,
  status: Type.Optional(Type.Union((['upcoming', 'on_sale', 'sold_out', 'ended', 'cancelled'] as const).map((s) => Type.Literal(s)))),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'Most events, by revenue then tickets' })),
});
export const EventStatsQuery = StrictObject({ ...rangeQuery });
export const RevenueQuery = StrictObject({
  ...rangeQuery,
  ...currencyQuery,
  groupBy: Type.Optional(
    Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], {
      description: 'Period of each row: day, ISO week (from Monday) or calendar month; default day',
    }),
  ),
});
export const SeatPreferencesQuery = StrictObject({ ...rangeQuery, ...currencyQuery, eventId: Type.Optional(Uuid()) });
export const RealtimeQuery = StrictObject({
  ...currencyQuery,
  minutes: Type.Optional(Type.Integer({ minimum: 1, maximum: 1440, default: 15, description: 'Sales of the last this many minutes' })),
});
export const PerformanceQuery = StrictObject({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'Most routes, busiest first' })),
});

// ---- response parts -----------------------------------------------------------------------

const Count = Type.Integer({ minimum: 0 });
const Money = Type.Integer({ description: "Amount in the currency's minor unit (KRW: whole won)" });
const Rate = Nullable(Type.Number({ minimum: 0, description: 'A ratio from 0 to 1; null when there is nothing to divide by' }));
const Day = Type.String({ format: 'date', description: 'A day in the view’s time zone' });

/** What every view says about itself: when it was computed, from what, and for which days. */
const freshness = {
  generatedAt: Timestamp({ description: 'When this answer was computed' }),
  source: Type.Union([Type.Literal('live'), Type.Literal('cache'), Type.Literal('mixed')], {
    description: 'live: computed now from the tables; cache: read from the stats job’s tables; mixed: both (see cachedAt)',
  }),
  cachedAt: Nullable(Timestamp({ description: 'The oldest refresh of the cached figures used; null when all are live' })),
};
const rangeProps = {
  timeZone: Type.String(),
  from: Day,
  to: Day,
  rangeStart: Timestamp({ description: 'Start of `from` in the time zone, as UTC' }),
  rangeEnd: Timestamp({ description: 'End of `to` (exclusive), as UTC' }),
};
const withRange = <T extends TProperties>(props: T, title: string) =>
  Type.Object({ ...freshness, ...rangeProps, ...props }, { title, additionalProperties: false });
const withCurrency = { currency: Type.String({ pattern: '^[A-Z]{3}$' }) };

const MoneyTotals = Type.Object(
  {
    gross: Money,
    refunded: Money,
    net: Money,
  },
  { description: 'gross: payments approved in the range; refunded: refunds made in the range; net = gross - refunded' },
);

const ReservationCounts = Type.Object({
  created: Count,
  pending: Count,
  confirmed: Count,
  cancelled: Count,
  expired: Count,
});

export const Overview = withRange(
  {
    ...withCurrency,
    events: Type.Object({
      total: Count,
      upcoming: Count,
      onSale: Count,
      soldOut: Count,
      ended: Count,
      cancelled: Count,
    }),
    users: Type.Object({ total: Count, admins: Count, newInRange: Count }),
    reservations: Type.Object(
      { ...ReservationCounts.properties, complimentary: Count },
      { description: 'Reservations created in the range, by their status now' },
    ),
    ticketsSold: Type.Integer({ minimum: 0, description: 'Tickets of reservations confirmed in the range' }),
    payments: Type.Object({ approved: Count, refunds: Count }),
    revenue: MoneyTotals,
    averageOrderValue: Nullable(Money),
  },
  'StatsOverview',
);

const DailyRow = Type.Object({
  date: Day,
  reservationsCreated: Count,
  reservationsConfirmed: Count,
  reservationsCancelled: Count,
  reservationsExpired: Count,
  ticketsSold: Count,
  revenue: Money,
  refunded: Money,
  netRevenue: Money,
  newUsers: Count,
  source: Type.Union([Type.Literal('live'), Type.Literal('cache')]),
});
export const Daily = withRange({ ...withCurrency, days: Type.Array(DailyRow) }, 'StatsDaily');

const EventRow = Type.Object({
  eventId: Uuid(),
  title: Type.String(),
  status: Type.String(),
  eventDate: Timestamp(),
  currency: Type.String(),
  reservations: ReservationCounts,
  ticketsSold: Type.Integer({ minimum: 0, description: 'Tickets of reservations confirmed in the range (all time without one)' }),
  soldNow: Type.Integer({ minimum: 0, description: 'Tickets in confirmed reservations now' }),
  capacity: Type.Integer({ minimum: 0, description: 'Seats plus general-admission quantities' }),
  sellThrough: Rate,
  revenue: MoneyTotals,
  conversionRate: Rate,
  source: Type.Union([Type.Literal('live'), Type.Literal('cache')]),
});
export const EventsStats = Type.Object(
  {
    ...freshness,
    timeZone: Type.String(),
    from: Nullable(Day),
    to: Nullable(Day),
    rangeStart: Nullable(Timestamp()),
    rangeEnd: Nullable(Timestamp({ description: 'All four null: all time' })),
    ...withCurrency,
    events: Type.Array(EventRow),
  },
  { title: 'StatsEvents', additionalProperties: false },
);

const TicketTypeRow = Type.Object({
  ticketTypeId: Uuid(),
  name: Type.String(),
  kind: Type.String(),
  price: Money,
  capacity: Count,
  sold: Count,
  held: Count,
  available: Count,
  revenue: Money,
});
export const EventStats = withRange(
  {
    eventId: Uuid(),
    title: Type.String(),
    status: Type.String(),
    eventDate: Timestamp(),
    currency: Type.String(),
    reservations: ReservationCounts,
    ticketsSold: Type.Integer({ minimum: 0, description: 'Tickets of reservations confirmed in the range' }),
    soldNow: Type.Integer({ minimum: 0, description: 'Tickets in confirmed reservations now' }),
    capacity: Count,
    sellThrough: Rate,
    revenue: MoneyTotals,
    holds: Type.Object({ created: Count, converted: Count, active: Count }),
    conversionRate: Rate,
    ticketTypes: Type.Array(TicketTypeRow, { description: 'Now, whatever the range' }),
    days: Type.Array(Type.Object({ date: Day, reservationsConfirmed: Count, ticketsSold: Count, revenue: Money })),
  },
  'StatsEvent',
);

export const PaymentsStats = withRange(
  {
    ...withCurrency,
    methods: Type.Array(
      Type.Object({
        method: Type.String({ description: 'As the provider names it (카드, 간편결제, …); `unknown` when it did not say' }),
        payments: Count,
        amount: Money,
        refunded: Money,
        share: Rate,
        averageAmount: Nullable(Money),
      }),
    ),
    statuses: Type.Array(Type.Object({ status: Type.String(), payments: Count }), {
      description: 'Payments created in the range, by their status now',
    }),
  },
  'StatsPayments',
);

export const RevenueStats = withRange(
  {
    ...withCurrency,
    groupBy: Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]),
    totals: MoneyTotals,
    periods: Type.Array(Type.Object({ period: Day, payments: Count, ...MoneyTotals.properties })),
    topEvents: Type.Array(Type.Object({ eventId: Uuid(), title: Type.String(), ...MoneyTotals.properties }), {
      description: 'Ten events with the highest net revenue in the range',
    }),
  },
  'StatsRevenue',
);

export const UsersStats = withRange(
  {
    total: Count,
    byRole: Type.Object({ user: Count, admin: Count }),
    newInRange: Count,
    buyers: Type.Integer({ minimum: 0, description: 'Users with a reservation confirmed in the range' }),
    repeatBuyers: Type.Integer({ minimum: 0, description: 'Of those, users with two or more' }),
    signups: Type.Array(Type.Object({ date: Day, users: Count })),
  },
  'StatsUsers',
);

export const HourlyTraffic = withRange(
  {
    hours: Type.Array(
      Type.Object({
        hour: Type.Integer({ minimum: 0, maximum: 23, description: 'Hour of day in the time zone' }),
        holds: Count,
        reservations: Count,
        payments: Count,
        signups: Count,
      }),
      { minItems: 24, maxItems: 24 },
    ),
    peakHour: Nullable(Type.Integer({ minimum: 0, maximum: 23, description: 'The hour with most holds, null without any' })),
  },
  'StatsHourlyTraffic',
);

const Funnel = Type.Object({
  holds: Type.Integer({ minimum: 0, description: 'Holds created in the range' }),
  reservations: Type.Integer({ minimum: 0, description: 'Of those, holds that became a reservation' }),
  confirmed: Type.Integer({ minimum: 0, description: 'Of those, reservations now confirmed' }),
  holdToReservation: Rate,
  reservationToConfirmed: Rate,
  holdToConfirmed: Rate,
});
export const Conversion = withRange(
  {
    ...withCurrency,
    ...Funnel.properties,
    events: Type.Array(Type.Object({ eventId: Uuid(), title: Type.String(), ...Funnel.properties })),
  },
  'StatsConversion',
);

export const Cancellations = withRange(
  {
    ...withCurrency,
    cancelled: Type.Integer({ minimum: 0, description: 'Reservations cancelled in the range' }),
    cancelledAfterPayment: Count,
    expired: Type.Integer({ minimum: 0, description: 'Pending reservations that ran out of time in the range' }),
    confirmedInRange: Count,
    cancellationRate: Rate,
    refunds: Type.Object({ payments: Count, amount: Money, full: Count, partial: Count, failed: Count }),
    reasons: Type.Array(Type.Object({ reason: Type.String(), reservations: Count }), { description: 'Ten most common reasons' }),
  },
  'StatsCancellations',
);

export const Realtime = Type.Object(
  {
    ...freshness,
    ...withCurrency,
    minutes: Type.Integer({ minimum: 1 }),
    holds: Type.Object({ active: Count, seats: Count, generalAdmission: Count }),
    pendingReservations: Count,
    queues: Nullable(
      Type.Array(Type.Object({ eventId: Uuid(), waiting: Count, active: Count }), {
        description: 'Waiting-room lines of the events whose queue is on; null when the queue store (Redis) does not answer',
      }),
    ),
    recent: Type.Object({
      since: Timestamp(),
      reservationsConfirmed: Count,
      ticketsSold: Count,
      revenue: Money,
      holds: Count,
    }),
  },
  { title: 'StatsRealtime', additionalProperties: false },
);

const PreferenceRow = {
  capacity: Count,
  sold: Count,
  held: Count,
  sellThrough: Rate,
  averagePrice: Nullable(Money),
};
export const SeatPreferences = withRange(
  {
    ...withCurrency,
    eventId: Nullable(Uuid()),
    sections: Type.Array(Type.Object({ section: Type.String(), ...PreferenceRow, soldInRange: Count })),
    ticketTypes: Type.Array(Type.Object({ name: Type.String(), kind: Type.String(), ...PreferenceRow, soldInRange: Count })),
  },
  'StatsSeatPreferences',
);

export const UserBehavior = withRange(
  {
    ...withCurrency,
    orders: Count,
    averageTicketsPerOrder: Nullable(Type.Number()),
    averageOrderValue: Nullable(Money),
    ticketsPerOrder: Type.Array(Type.Object({ tickets: Type.String({ description: '1, 2, 3 or 4+' }), orders: Count })),
    medianSecondsHoldToReservation: Nullable(Type.Number()),
    medianSecondsReservationToPayment: Nullable(Type.Number()),
    medianDaysBeforeEvent: Nullable(Type.Number({ description: 'Between the purchase and the event' })),
    repeatPurchaseRate: Rate,
    abandonedReservations: Type.Integer({ minimum: 0, description: 'Reservations created in the range that expired unpaid' }),
  },
  'StatsUserBehavior',
);

export const Performance = Type.Object(
  {
    ...freshness,
    scope: Type.Literal('instance', {
      description: "This API process's own counters since it started; other instances count their own (sum them from /metrics)",
    }),
    instance: Type.Object({ pid: Type.Integer(), hostname: Type.String(), startedAt: Timestamp(), uptimeSeconds: Type.Number() }),
    totals: Type.Object({ requests: Count, errors5xx: Count, errors4xx: Count }),
    routes: Type.Array(
      Type.Object({
        method: Type.String(),
        route: Type.String(),
        requests: Count,
        errors4xx: Count,
        errors5xx: Count,
        meanMs: Nullable(Type.Number()),
        p50Ms: Nullable(Type.Number({ description: 'Estimated from the latency histogram (bucket upper bound)' })),
        p95Ms: Nullable(Type.Number()),
        p99Ms: Nullable(Type.Number()),
      }),
    ),
  },
  { title: 'StatsPerformance', additionalProperties: false },
);

export type RangeInput = Static<typeof RangeQuery>;
