// Imports the built package the way an ESM consumer does and makes one call through it.
/* global Response, console */
import { Tiketi, TiketiError, ConflictError, PagePromise } from '@tiketi/sdk';

const fetch = async () =>
  new Response(JSON.stringify({ type: 'about:blank', title: 'Seat unavailable', status: 409, code: 'SEAT_UNAVAILABLE' }), {
    status: 409,
    headers: { 'content-type': 'application/problem+json' },
  });
const client = new Tiketi({ baseUrl: 'http://api.test', fetch });
const err = await client.auth.me().catch((e) => e);
console.log(
  JSON.stringify({
    format: 'esm',
    conflict: err instanceof ConflictError,
    base: err instanceof TiketiError,
    code: err.code,
    pages: client.apiKeys.list() instanceof PagePromise,
  }),
);
