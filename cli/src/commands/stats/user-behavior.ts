import { barColumn, currencyFlag, money, percent, rangeFlags, rangeQuery, statsCommand } from '../../stats.js';

const duration = (seconds: number | null) =>
  seconds === null ? '' : seconds < 120 ? `${Math.round(seconds)} s` : `${(seconds / 60).toFixed(1)} min`;

export default statsCommand({
  summary: 'Buyer behaviour: tickets per order, order value, time from hold to payment, days booked ahead, repeat purchases.',
  examples: ['<%= config.bin %> <%= command.id %>'],
  flags: { ...rangeFlags, ...currencyFlag },
  fetch: (client, o) => client.request((http, init) => http.GET('/v1/stats/user-behavior', { params: { query: rangeQuery(o) }, ...init })),
  render: (out, v) => {
    out.record({
      orders: v.orders,
      'tickets per order (average)': v.averageTicketsPerOrder?.toFixed(2) ?? '',
      'average order': money(v.averageOrderValue, v.currency),
      'hold → reservation (median)': duration(v.medianSecondsHoldToReservation),
      'reservation → payment (median)': duration(v.medianSecondsReservationToPayment),
      'days booked ahead (median)': v.medianDaysBeforeEvent ?? '',
      'repeat purchase rate': percent(v.repeatPurchaseRate),
      'abandoned reservations': v.abandonedReservations,
    });
    out.table('Tickets per order', v.ticketsPerOrder, [
      { header: 'Tickets', get: (t) => t.tickets },
      { header: 'Orders', get: (t) => t.orders },
      barColumn('Orders', (t) => t.orders, v.ticketsPerOrder),
    ]);
  },
});
