import type { TSchema } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ADMIN_PROBLEMS, StrictObject, Uuid, problems } from '../../schemas.js';
import {
  Cancellations,
  Conversion,
  Daily,
  EventStats,
  EventStatsQuery,
  EventsStats,
  EventsStatsQuery,
  HourlyTraffic,
  Overview,
  PaymentsStats,
  Performance,
  PerformanceQuery,
  RangeQuery,
  Realtime,
  RealtimeQuery,
  RevenueQuery,
  RevenueStats,
  SeatPreferences,
  SeatPreferencesQuery,
  UserBehavior,
  UsersQuery,
  UsersStats,
} from './schemas.js';
import type { StatsService } from './service.js';

const security = [{ bearer: [] }];
const RANGE_NOTE =
  'Days are cut in `timeZone` (default STATS_TIME_ZONE, Asia/Seoul); `from` and `to` are inclusive and at most 731 days apart. 400 VALIDATION_FAILED for an unknown time zone or `from` after `to`.';

/** The 14 statistics views of the original system, admin only, computed from the live tables or the stats job's caches. */
export const statsRoutes: FastifyPluginAsyncTypebox<{ service: StatsService }> = async (app, { service }) => {
  const view = <Q extends TSchema>(path: string, operationId: string, summary: string, querystring: Q, response: TSchema, extra = '') => ({
    path,
    opts: {
      onRequest: app.auth.admin,
      schema: {
        operationId,
        tags: ['stats'],
        summary,
        description: extra ? `${extra} ${RANGE_NOTE}` : RANGE_NOTE,
        security,
        querystring,
        response: { 200: response, ...problems(...ADMIN_PROBLEMS) },
      },
    },
  });

  const overview = view('/stats/overview', 'statsOverview', 'Dashboard totals: events, users, reservations, sales', RangeQuery, Overview);
  app.get(overview.path, overview.opts, async (request) => service.overview(request.query));

  const daily = view(
    '/stats/daily',
    'statsDaily',
    'One row per day: reservations, tickets, revenue, refunds, sign-ups',
    RangeQuery,
    Daily,
    'Finished days come from the stats job’s daily cache when it has them (each row says its source); today is always live.',
  );
  app.get(daily.path, daily.opts, async (request) => service.daily(request.query));

  const events = view(
    '/stats/events',
    'statsEvents',
    'Per event: reservations, tickets sold, capacity, revenue, conversion',
    EventsStatsQuery,
    EventsStats,
    'Without `from` and `to` the all-time figures come from the stats job’s event cache (refreshed every STATS_REFRESH_INTERVAL_MS); with a range they are computed live for sales in it.',
  );
  app.get(events.path, events.opts, async (request) => service.events(request.query));

  app.get(
    '/stats/events/:eventId',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'statsEvent',
        tags: ['stats'],
        summary: 'One event: sales by ticket type, holds, conversion and a daily series',
        description: `Money in the event's own currency. ${RANGE_NOTE}`,
        security,
        params: StrictObject({ eventId: Uuid() }),
        querystring: EventStatsQuery,
        response: { 200: EventStats, ...problems(...ADMIN_PROBLEMS, 'EVENT_NOT_FOUND') },
      },
    },
    async (request) => service.event(request.params.eventId, request.query),
  );

  const payments = view('/stats/payments', 'statsPayments', 'Payments by method and by status', RangeQuery, PaymentsStats);
  app.get(payments.path, payments.opts, async (request) => service.payments(request.query));

  const revenue = view('/stats/revenue', 'statsRevenue', 'Revenue by day, week or month, and the top events', RevenueQuery, RevenueStats);
  app.get(revenue.path, revenue.opts, async (request) => service.revenue(request.query));

  const users = view('/stats/users', 'statsUsers', 'Users: totals, sign-ups, buyers and repeat buyers', UsersQuery, UsersStats);
  app.get(users.path, users.opts, async (request) => service.users(request.query));

  const hourly = view(
    '/stats/hourly-traffic',
    'statsHourlyTraffic',
    'Activity by hour of day: holds, reservations, payments, sign-ups',
    UsersQuery,
    HourlyTraffic,
  );
  app.get(hourly.path, hourly.opts, async (request) => service.hourlyTraffic(request.query));

  const conversion = view(
    '/stats/conversion',
    'statsConversion',
    'The purchase funnel: holds → reservations → confirmed, overall and per event',
    RangeQuery,
    Conversion,
  );
  app.get(conversion.path, conversion.opts, async (request) => service.conversion(request.query));

  const cancellations = view(
    '/stats/cancellations',
    'statsCancellations',
    'Cancellations, expiries and refunds, with the most common reasons',
    RangeQuery,
    Cancellations,
  );
  app.get(cancellations.path, cancellations.opts, async (request) => service.cancellations(request.query));

  app.get(
    '/stats/realtime',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'statsRealtime',
        tags: ['stats'],
        summary: 'Now: live holds, pending reservations, waiting-room lines and sales of the last minutes',
        security,
        querystring: RealtimeQuery,
        response: { 200: Realtime, ...problems(...ADMIN_PROBLEMS) },
      },
    },
    async (request) => service.realtime(request.query),
  );

  const seats = view(
    '/stats/seat-preferences',
    'statsSeatPreferences',
    'Which sections and price categories sell: capacity, sold, held, sell-through',
    SeatPreferencesQuery,
    SeatPreferences,
    'capacity, sold and held are now; soldInRange counts tickets of reservations confirmed in the range.',
  );
  app.get(seats.path, seats.opts, async (request) => service.seatPreferences(request.query));

  const behavior = view(
    '/stats/user-behavior',
    'statsUserBehavior',
    'How people buy: tickets per order, order value, time to reserve and to pay, lead time, repeat purchases',
    RangeQuery,
    UserBehavior,
  );
  app.get(behavior.path, behavior.opts, async (request) => service.userBehavior(request.query));

  app.get(
    '/stats/performance',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'statsPerformance',
        tags: ['stats'],
        summary: "Request counts, errors and latency per route, from this instance's own metrics",
        description:
          'Read from the same registry that serves /metrics, since this process started. Behind a load balancer each instance answers for itself; sum http_requests_total across instances from /metrics for the whole platform.',
        security,
        querystring: PerformanceQuery,
        response: { 200: Performance, ...problems(...ADMIN_PROBLEMS) },
      },
    },
    async (request) => service.performance(request.query.limit ?? 100),
  );
};
