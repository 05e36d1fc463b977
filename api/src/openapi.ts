import type { Config } from './config.js';

/** The spec's frame; paths and schemas come from the routes. */
export function openapiDocument(config: Pick<Config, 'PUBLIC_URL'>) {
  return {
    openapi: '3.1.0',
    'x-generated': 'from the route schemas by `npm run openapi`; do not edit openapi/openapi.json by hand',
    info: {
      title: 'TIKETI API',
      version: '1.0.0',
      summary: 'Headless ticketing: events, seat maps, holds, reservations, waiting room, payments',
      description:
        'Errors are application/problem+json (RFC 9457) with a stable `code`. POSTs that create or move money or seats honour `Idempotency-Key`. Lists are cursor-paginated.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    // Relative by default, so the document is right wherever the API is served.
    servers: [config.PUBLIC_URL ? { url: config.PUBLIC_URL } : { url: '/', description: 'The instance serving this document' }],
    tags: [
      { name: 'ops', description: 'Liveness, readiness, metrics' },
      { name: 'auth', description: 'Accounts and tokens' },
      { name: 'api-keys', description: 'Admin API keys for scripts' },
      { name: 'users', description: 'User accounts and roles (admin)' },
      { name: 'events', description: 'Events: listing, search, lifecycle' },
      { name: 'ticket-types', description: 'Price categories and general-admission quantities' },
      { name: 'seat-layouts', description: 'Seat layout templates that events generate their seats from' },
      { name: 'news', description: 'Notices, pinned first' },
      { name: 'keyword-mappings', description: 'Korean ↔ English search terms' },
      { name: 'seats', description: 'Seat maps' },
      { name: 'holds', description: 'Seat and general-admission holds (all or none, with a time limit)' },
      { name: 'reservations', description: 'Pending, confirmed, cancelled and expired reservations' },
      { name: 'realtime', description: 'Tickets for the realtime channel (WebSocket /v1/realtime)' },
      { name: 'queue', description: 'Waiting rooms: a fair line before the sale, admission tokens bound to holds' },
    ],
    components: {
      securitySchemes: {
        metricsToken: { type: 'http' as const, scheme: 'bearer', description: 'METRICS_TOKEN, for GET /metrics' },
        bearer: {
          type: 'http' as const,
          scheme: 'bearer',
          description:
            'A user access token (JWT, short-lived; renew it with POST /v1/auth/refresh) or an admin API key (tk_...). Operations marked `x-tiketi-role: admin` are for admins.',
        },
      },
    },
  };
}
