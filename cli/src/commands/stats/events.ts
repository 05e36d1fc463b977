import { Flags } from '@oclif/core';
import { barColumn, currencyFlag, money, percent, rangeFlags, rangeQuery, statsCommand } from '../../stats.js';

export default statsCommand({
  summary: 'Sales per event: tickets sold of capacity, sell-through, revenue and conversion, biggest first.',
  examples: ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --status on_sale --json'],
  flags: {
    ...rangeFlags,
    ...currencyFlag,
    status: Flags.string({
      description: 'Only events in this status.',
      options: ['upcoming', 'on_sale', 'sold_out', 'ended', 'cancelled'],
    }),
    limit: Flags.integer({ description: 'Most events, by revenue then tickets.', default: 100, min: 1, max: 500 }),
  },
  fetch: (client, o) =>
    client.request((http, init) =>
      http.GET('/v1/stats/events', {
        params: {
          query: {
            ...rangeQuery(o),
            limit: o.limit as number,
            ...(o.status ? { status: o.status as 'upcoming' | 'on_sale' | 'sold_out' | 'ended' | 'cancelled' } : {}),
          },
        },
        ...init,
      }),
    ),
  render: (out, v) =>
    out.table(undefined, v.events, [
      { header: 'Event', get: (e) => e.eventId },
      { header: 'Title', get: (e) => e.title },
      { header: 'Status', get: (e) => e.status },
      { header: 'Sold', get: (e) => `${e.soldNow}/${e.capacity}` },
      { header: 'Sell-through', get: (e) => percent(e.sellThrough) },
      { header: 'Tickets in range', get: (e) => e.ticketsSold },
      { header: 'Gross', get: (e) => money(e.revenue.gross, e.currency) },
      { header: 'Net', get: (e) => money(e.revenue.net, e.currency) },
      { header: 'Conversion', get: (e) => percent(e.conversionRate) },
      barColumn('Revenue', (e) => e.revenue.net, v.events),
    ]),
});
