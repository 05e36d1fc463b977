import { currencyFlag, percent, rangeFlags, rangeQuery, statsCommand } from '../../stats.js';

export default statsCommand({
  summary: 'Conversion funnel: holds → reservations → confirmed, overall and per event.',
  examples: ['<%= config.bin %> <%= command.id %>'],
  flags: { ...rangeFlags, ...currencyFlag },
  fetch: (client, o) => client.request((http, init) => http.GET('/v1/stats/conversion', { params: { query: rangeQuery(o) }, ...init })),
  render: (out, v) => {
    out.record({
      holds: v.holds,
      reservations: `${v.reservations} (${percent(v.holdToReservation)} of holds)`,
      confirmed: `${v.confirmed} (${percent(v.reservationToConfirmed)} of reservations, ${percent(v.holdToConfirmed)} of holds)`,
    });
    out.table('Events', v.events, [
      { header: 'Event', get: (e) => e.eventId },
      { header: 'Title', get: (e) => e.title },
      { header: 'Holds', get: (e) => e.holds },
      { header: 'Reservations', get: (e) => e.reservations },
      { header: 'Confirmed', get: (e) => e.confirmed },
      { header: 'Hold → confirmed', get: (e) => percent(e.holdToConfirmed) },
    ]);
  },
});
