import { barColumn, currencyFlag, money, rangeFlags, rangeQuery, sparkline, statsCommand } from '../../stats.js';

export default statsCommand({
  summary: 'Day by day (in the time zone): reservations, tickets sold, revenue, refunds and new users, with a revenue bar per day.',
  examples: [
    '<%= config.bin %> <%= command.id %> --from 2026-11-01 --to 2026-11-30',
    '<%= config.bin %> <%= command.id %> --csv > daily.csv',
  ],
  flags: { ...rangeFlags, ...currencyFlag },
  fetch: (client, o) => client.request((http, init) => http.GET('/v1/stats/daily', { params: { query: rangeQuery(o) }, ...init })),
  render: (out, v) => {
    out.line(`Revenue ${sparkline(v.days.map((d) => d.netRevenue))}   Tickets ${sparkline(v.days.map((d) => d.ticketsSold))}`);
    out.table(undefined, v.days, [
      { header: 'Date', get: (d) => d.date },
      { header: 'Created', get: (d) => d.reservationsCreated },
      { header: 'Confirmed', get: (d) => d.reservationsConfirmed },
      { header: 'Cancelled', get: (d) => d.reservationsCancelled },
      { header: 'Expired', get: (d) => d.reservationsExpired },
      { header: 'Tickets', get: (d) => d.ticketsSold },
      { header: 'Revenue', get: (d) => money(d.revenue, v.currency) },
      { header: 'Refunded', get: (d) => money(d.refunded, v.currency) },
      { header: 'Net', get: (d) => money(d.netRevenue, v.currency) },
      { header: 'New users', get: (d) => d.newUsers },
      barColumn('Net revenue', (d) => d.netRevenue, v.days),
    ]);
  },
});
