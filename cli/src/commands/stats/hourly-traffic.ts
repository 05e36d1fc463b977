import { barColumn, rangeFlags, rangeQuery, statsCommand } from '../../stats.js';

export default statsCommand({
  summary: 'Traffic by hour of the day (in the time zone): holds, reservations, payments and sign-ups, and the peak hour.',
  examples: ['<%= config.bin %> <%= command.id %>'],
  flags: { ...rangeFlags },
  fetch: (client, o) => client.request((http, init) => http.GET('/v1/stats/hourly-traffic', { params: { query: rangeQuery(o) }, ...init })),
  render: (out, v) => {
    out.table(undefined, v.hours, [
      { header: 'Hour', get: (h) => `${String(h.hour).padStart(2, '0')}:00` },
      { header: 'Holds', get: (h) => h.holds },
      { header: 'Reservations', get: (h) => h.reservations },
      { header: 'Payments', get: (h) => h.payments },
      { header: 'Sign-ups', get: (h) => h.signups },
      barColumn('Holds', (h) => h.holds, v.hours),
    ]);
    if (v.peakHour !== null) out.line(`Peak hour: ${String(v.peakHour).padStart(2, '0')}:00`);
  },
});
