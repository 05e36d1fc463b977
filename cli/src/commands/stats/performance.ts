import { Flags } from '@oclif/core';
import { barColumn, statsCommand } from '../../stats.js';

const ms = (value: number | null) => (value === null ? '' : value.toFixed(1));

export default statsCommand({
  summary: "The API's own request metrics (this instance): requests, errors and latency percentiles per route.",
  examples: ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --limit 10 --columns route,requests,p95'],
  flags: { limit: Flags.integer({ description: 'Most routes, busiest first.', default: 100, min: 1, max: 500 }) },
  fetch: (client, o) =>
    client.request((http, init) => http.GET('/v1/stats/performance', { params: { query: { limit: o.limit as number } }, ...init })),
  render: (out, v) => {
    out.line(
      `Instance ${v.instance.hostname} pid ${v.instance.pid}, up ${Math.round(v.instance.uptimeSeconds)} s: ${v.totals.requests} requests, ${v.totals.errors4xx} 4xx, ${v.totals.errors5xx} 5xx`,
    );
    out.table(undefined, v.routes, [
      { header: 'Method', get: (r) => r.method },
      { header: 'Route', get: (r) => r.route },
      { header: 'Requests', get: (r) => r.requests },
      { header: '4xx', get: (r) => r.errors4xx },
      { header: '5xx', get: (r) => r.errors5xx },
      { header: 'Mean ms', get: (r) => ms(r.meanMs) },
      { header: 'p50', get: (r) => ms(r.p50Ms) },
      { header: 'p95', get: (r) => ms(r.p95Ms) },
      { header: 'p99', get: (r) => ms(r.p99Ms) },
      barColumn('p95', (r) => r.p95Ms ?? 0, v.routes),
    ]);
  },
});
