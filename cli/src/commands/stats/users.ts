import { rangeFlags, rangeQuery, sparkline, statsCommand } from '../../stats.js';

export default statsCommand({
  summary: 'Users: totals by role, sign-ups by day, buyers and repeat buyers.',
  examples: ['<%= config.bin %> <%= command.id %>'],
  flags: { ...rangeFlags },
  fetch: (client, o) => client.request((http, init) => http.GET('/v1/stats/users', { params: { query: rangeQuery(o) }, ...init })),
  render: (out, v) =>
    out.record({
      users: v.total,
      'users / admins': `${v.byRole.user} / ${v.byRole.admin}`,
      'new in range': v.newInRange,
      buyers: v.buyers,
      'repeat buyers': v.repeatBuyers,
      'sign-ups by day': sparkline(v.signups.map((s) => s.users)),
    }),
});
