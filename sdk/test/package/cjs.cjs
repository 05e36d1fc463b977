// Requires the built package the way a CommonJS consumer does and makes one call through it.
/* global require, Response, console */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tiketi, TiketiError, ConflictError, PagePromise } = require('@tiketi/sdk');

const fetch = async () =>
  new Response(JSON.stringify({ type: 'about:blank', title: 'Seat unavailable', status: 409, code: 'SEAT_UNAVAILABLE' }), {
    status: 409,
    headers: { 'content-type': 'application/problem+json' },
  });
const client = new Tiketi({ baseUrl: 'http://api.test', fetch });
client.auth.me().catch((err) => {
  console.log(
    JSON.stringify({
      format: 'cjs',
      conflict: err instanceof ConflictError,
      base: err instanceof TiketiError,
      code: err.code,
      pages: client.apiKeys.list() instanceof PagePromise,
    }),
  );
});
