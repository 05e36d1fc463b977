import { Args } from '@oclif/core';
import { barColumn, money, percent, rangeFlags, rangeQuery, sparkline, statsCommand } from '../../stats.js';

export default statsCommand({
  summary: 'One event: reservations, holds, sell-through and revenue, per ticket type and day by day.',
  examples: ['<%= config.bin %> <%= command.id %> <eventId>'],
  args: { eventId: Args.string({ description: 'Event ID.', required: true }) },
  flags: { ...rangeFlags },
  fetch: (client, o, { eventId }) =>
    client.request((http, init) =>
      http.GET('/v1/stats/events/{eventId}', { params: { path: { eventId: eventId! }, query: rangeQuery(o) }, ...init }),
    ),
  render: (out, v) => {
    out.record({
      event: `${v.title} (${v.eventId})`,
      status: v.status,
      date: v.eventDate,
      sold: `${v.soldNow}/${v.capacity} (${percent(v.sellThrough)})`,
      'tickets sold in range': v.ticketsSold,
      'reservations created / confirmed / cancelled / expired': `${v.reservations.created} / ${v.reservations.confirmed} / ${v.reservations.cancelled} / ${v.reservations.expired}`,
      'holds created / converted / active': `${v.holds.created} / ${v.holds.converted} / ${v.holds.active}`,
      conversion: percent(v.conversionRate),
      'revenue gross / refunded / net': `${money(v.revenue.gross, v.currency)} / ${money(v.revenue.refunded, v.currency)} / ${money(v.revenue.net, v.currency)}`,
      'revenue by day': sparkline(v.days.map((d) => d.revenue)),
    });
    out.table('Ticket types', v.ticketTypes, [
      { header: 'Name', get: (t) => t.name },
      { header: 'Kind', get: (t) => t.kind },
      { header: 'Price', get: (t) => money(t.price, v.currency) },
      { header: 'Sold', get: (t) => `${t.sold}/${t.capacity}` },
      { header: 'Held', get: (t) => t.held },
      { header: 'Revenue', get: (t) => money(t.revenue, v.currency) },
      barColumn('Sold', (t) => t.sold, v.ticketTypes),
    ]);
  },
});
