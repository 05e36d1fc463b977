import { currencyFlag, money, rangeFlags, rangeQuery, statsCommand } from '../../stats.js';

export default statsCommand({
  summary: 'Overview: events by status, users, reservations, tickets sold, payments and revenue over a range of days.',
  examples: ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --from 2026-11-01 --to 2026-11-30 --json'],
  flags: { ...rangeFlags, ...currencyFlag },
  fetch: (client, o) => client.request((http, init) => http.GET('/v1/stats/overview', { params: { query: rangeQuery(o) }, ...init })),
  render: (out, v) =>
    out.record({
      'events (upcoming / on sale / sold out / ended / cancelled)': `${v.events.total} (${v.events.upcoming} / ${v.events.onSale} / ${v.events.soldOut} / ${v.events.ended} / ${v.events.cancelled})`,
      users: `${v.users.total} (${v.users.admins} admins, ${v.users.newInRange} new)`,
      'reservations created': v.reservations.created,
      'confirmed / pending / cancelled / expired': `${v.reservations.confirmed} / ${v.reservations.pending} / ${v.reservations.cancelled} / ${v.reservations.expired}`,
      complimentary: v.reservations.complimentary,
      'tickets sold': v.ticketsSold,
      'payments approved / refunds': `${v.payments.approved} / ${v.payments.refunds}`,
      'revenue gross': money(v.revenue.gross, v.currency),
      refunded: money(v.revenue.refunded, v.currency),
      'revenue net': money(v.revenue.net, v.currency),
      'average order': money(v.averageOrderValue, v.currency),
    }),
});
