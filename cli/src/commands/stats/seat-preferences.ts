import { Flags } from '@oclif/core';
import { barColumn, currencyFlag, money, percent, rangeFlags, rangeQuery, statsCommand } from '../../stats.js';

export default statsCommand({
  summary: 'Seat preferences: sell-through and average price by section and by ticket type.',
  examples: ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --event <eventId>'],
  flags: { ...rangeFlags, ...currencyFlag, event: Flags.string({ description: 'Only this event (ID).' }) },
  fetch: (client, o) =>
    client.request((http, init) =>
      http.GET('/v1/stats/seat-preferences', {
        params: { query: { ...rangeQuery(o), ...(o.event ? { eventId: o.event as string } : {}) } },
        ...init,
      }),
    ),
  render: (out, v) => {
    out.table('Sections', v.sections, [
      { header: 'Section', get: (s) => s.section },
      { header: 'Sold', get: (s) => `${s.sold}/${s.capacity}` },
      { header: 'Held', get: (s) => s.held },
      { header: 'Sold in range', get: (s) => s.soldInRange },
      { header: 'Sell-through', get: (s) => percent(s.sellThrough) },
      { header: 'Average price', get: (s) => money(s.averagePrice, v.currency) },
      barColumn('Sell-through', (s) => s.sellThrough ?? 0, v.sections),
    ]);
    out.table('Ticket types', v.ticketTypes, [
      { header: 'Name', get: (t) => t.name },
      { header: 'Kind', get: (t) => t.kind },
      { header: 'Sold', get: (t) => `${t.sold}/${t.capacity}` },
      { header: 'Sell-through', get: (t) => percent(t.sellThrough) },
      { header: 'Average price', get: (t) => money(t.averagePrice, v.currency) },
      barColumn('Sell-through', (t) => t.sellThrough ?? 0, v.ticketTypes),
    ]);
  },
});
