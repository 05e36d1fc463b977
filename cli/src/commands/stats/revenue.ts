import { Flags } from '@oclif/core';
import { barColumn, currencyFlag, money, rangeFlags, rangeQuery, sparkline, statsCommand } from '../../stats.js';

export default statsCommand({
  summary: 'Revenue by day, ISO week or month, with totals and the top events.',
  examples: [
    '<%= config.bin %> <%= command.id %> --group-by week',
    '<%= config.bin %> <%= command.id %> --from 2026-01-01 --to 2026-12-31 --group-by month',
  ],
  flags: {
    ...rangeFlags,
    ...currencyFlag,
    'group-by': Flags.string({ description: 'Period of each row.', options: ['day', 'week', 'month'], default: 'day' }),
  },
  fetch: (client, o) =>
    client.request((http, init) =>
      http.GET('/v1/stats/revenue', {
        params: { query: { ...rangeQuery(o), groupBy: o['group-by'] as 'day' | 'week' | 'month' } },
        ...init,
      }),
    ),
  render: (out, v) => {
    out.line(
      `Gross ${money(v.totals.gross, v.currency)} · refunded ${money(v.totals.refunded, v.currency)} · net ${money(v.totals.net, v.currency)}   ${sparkline(v.periods.map((p) => p.net))}`,
    );
    out.table(undefined, v.periods, [
      { header: 'Period', get: (p) => p.period },
      { header: 'Payments', get: (p) => p.payments },
      { header: 'Gross', get: (p) => money(p.gross, v.currency) },
      { header: 'Refunded', get: (p) => money(p.refunded, v.currency) },
      { header: 'Net', get: (p) => money(p.net, v.currency) },
      barColumn('Net', (p) => p.net, v.periods),
    ]);
    out.table('Top events', v.topEvents, [
      { header: 'Event', get: (e) => e.eventId },
      { header: 'Title', get: (e) => e.title },
      { header: 'Gross', get: (e) => money(e.gross, v.currency) },
      { header: 'Net', get: (e) => money(e.net, v.currency) },
      barColumn('Net', (e) => e.net, v.topEvents),
    ]);
  },
});
