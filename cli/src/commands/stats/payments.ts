import { barColumn, currencyFlag, money, percent, rangeFlags, rangeQuery, statsCommand } from '../../stats.js';

export default statsCommand({
  summary: 'Payment methods: how many, how much and what share, and payments by status.',
  examples: ['<%= config.bin %> <%= command.id %>'],
  flags: { ...rangeFlags, ...currencyFlag },
  fetch: (client, o) => client.request((http, init) => http.GET('/v1/stats/payments', { params: { query: rangeQuery(o) }, ...init })),
  render: (out, v) => {
    out.table('Methods', v.methods, [
      { header: 'Method', get: (m) => m.method },
      { header: 'Payments', get: (m) => m.payments },
      { header: 'Amount', get: (m) => money(m.amount, v.currency) },
      { header: 'Refunded', get: (m) => money(m.refunded, v.currency) },
      { header: 'Average', get: (m) => money(m.averageAmount, v.currency) },
      { header: 'Share', get: (m) => percent(m.share) },
      barColumn('Share', (m) => m.share ?? 0, v.methods),
    ]);
    out.table('Statuses', v.statuses, [
      { header: 'Status', get: (s) => s.status },
      { header: 'Payments', get: (s) => s.payments },
    ]);
  },
});
