import { barColumn, currencyFlag, money, percent, rangeFlags, rangeQuery, statsCommand } from '../../stats.js';

export default statsCommand({
  summary: 'Cancellations and refunds: how many, after payment or not, the rate, and the reasons given.',
  examples: ['<%= config.bin %> <%= command.id %>'],
  flags: { ...rangeFlags, ...currencyFlag },
  fetch: (client, o) => client.request((http, init) => http.GET('/v1/stats/cancellations', { params: { query: rangeQuery(o) }, ...init })),
  render: (out, v) => {
    out.record({
      cancelled: `${v.cancelled} (${v.cancelledAfterPayment} after payment)`,
      expired: v.expired,
      'confirmed in range': v.confirmedInRange,
      'cancellation rate': percent(v.cancellationRate),
      refunds: `${v.refunds.payments} payments, ${money(v.refunds.amount, v.currency)} (${v.refunds.full} full, ${v.refunds.partial} partial, ${v.refunds.failed} failed)`,
    });
    out.table('Reasons', v.reasons, [
      { header: 'Reason', get: (r) => r.reason },
      { header: 'Reservations', get: (r) => r.reservations },
      barColumn('Reservations', (r) => r.reservations, v.reasons),
    ]);
  },
});
