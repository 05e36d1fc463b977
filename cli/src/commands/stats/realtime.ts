import { Flags } from '@oclif/core';
import { currencyFlag, money, statsCommand } from '../../stats.js';

export default statsCommand({
  summary: 'Now: live holds, pending reservations, waiting rooms, and sales of the last minutes.',
  examples: ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --minutes 60 --json'],
  flags: {
    ...currencyFlag,
    minutes: Flags.integer({ description: 'Sales of the last this many minutes.', default: 15, min: 1, max: 1440 }),
  },
  fetch: (client, o) =>
    client.request((http, init) =>
      http.GET('/v1/stats/realtime', {
        params: { query: { minutes: o.minutes as number, ...(o.currency ? { currency: o.currency as string } : {}) } },
        ...init,
      }),
    ),
  render: (out, v) => {
    out.record({
      'active holds': `${v.holds.active} (${v.holds.seats} seats, ${v.holds.generalAdmission} general admission)`,
      'pending reservations': v.pendingReservations,
      [`last ${v.minutes} min`]: `${v.recent.holds} holds, ${v.recent.reservationsConfirmed} confirmed, ${v.recent.ticketsSold} tickets, ${money(v.recent.revenue, v.currency)}`,
    });
    if (v.queues === null) out.line('Waiting rooms: not available (Redis unreachable).');
    else
      out.table('Waiting rooms', v.queues, [
        { header: 'Event', get: (q) => q.eventId },
        { header: 'Waiting', get: (q) => q.waiting },
        { header: 'Admitted now', get: (q) => q.active },
      ]);
  },
});
