// Type tests: every `@ts-expect-error` must be an error, so a loosened type fails `tsc`.
// Compiled (never run) by types.test.ts and by `npm run typecheck`.
import {
  ConflictError,
  RateLimitError,
  Tiketi,
  TiketiError,
  type ApiKey,
  type CreatedApiKey,
  type EventStatus,
  type Page,
  type Problem,
  type ProblemCode,
  type Session,
  type User,
} from '../../src/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(_ok?: T) => {};

export async function typeAssertions(client: Tiketi) {
  // Return types come from the generated spec.
  const session = await client.auth.login({ email: 'a@example.com', password: 'secret-password' });
  assertType<Equal<typeof session, Session>>();
  assertType<Equal<Awaited<ReturnType<Tiketi['auth']['me']>>, User>>();
  const _created = await client.apiKeys.create({ name: 'ci' });
  assertType<Equal<typeof _created, CreatedApiKey>>();
  const page = await client.apiKeys.list({ limit: 10 });
  assertType<Equal<typeof page, Page<ApiKey>>>();
  for await (const _key of client.apiKeys.list()) assertType<Equal<typeof _key, ApiKey>>();
  const _role: 'user' | 'admin' = session.user.role;

  // @ts-expect-error a misspelt body field is refused
  await client.auth.login({ email: 'a@example.com', pasword: 'x' });
  // @ts-expect-error a missing required field is refused
  await client.auth.register({ email: 'a@example.com', password: 'secret-password' });
  // @ts-expect-error fields the API does not take (role) are refused
  await client.auth.register({ email: 'a@example.com', password: 'secret-password', name: 'A', role: 'admin' });
  // @ts-expect-error a wrong type is refused
  await client.apiKeys.create({ name: 42 });
  // @ts-expect-error an unknown query parameter is refused
  await client.apiKeys.list({ limt: 10 });
  // @ts-expect-error an unknown per-call option is refused
  await client.auth.me({ timeout: 5 });
  // @ts-expect-error the secret exists only on the created key
  void page.data[0]?.secret;
  // @ts-expect-error user roles are a closed set
  const notARole: typeof _role = 'superuser';

  // Errors carry typed problem fields.
  try {
    await client.apiKeys.revoke('id', {
      maxRetries: 0,
      timeoutMs: 1000,
      idempotencyKey: 'k',
      token: 't',
      signal: new AbortController().signal,
    });
  } catch (err) {
    if (err instanceof RateLimitError) assertType<Equal<typeof err.retryAfter, number | undefined>>();
    if (err instanceof ConflictError) {
      const code: string = err.code;
      const problem: Problem | undefined = err.problem;
      const known: ProblemCode | undefined = problem?.code;
      void [code, known, err.status, err.requestId];
    }
    if (err instanceof TiketiError) assertType<Equal<typeof err.status, number | undefined>>();
  }
  // Catalog: statuses and bodies are the spec's.
  const _events = await client.events.list({ status: 'on_sale', q: '아이유' });
  assertType<Equal<(typeof _events.data)[number]['status'], 'upcoming' | 'on_sale' | 'sold_out' | 'ended' | 'cancelled'>>();
  // @ts-expect-error an unknown event status is refused
  await client.events.list({ status: 'open' });
  // @ts-expect-error eventDate is required
  await client.events.create({ title: 't', venue: 'v' });
  // @ts-expect-error an event id is required
  await client.ticketTypes.list();
  assertType<Equal<Awaited<ReturnType<Tiketi['events']['delete']>>, void>>();

  // Inventory.
  const _hold = await client.holds.create('event', { seatIds: ['seat'] }, { queueToken: 'qt' });
  assertType<Equal<typeof _hold.status, 'active' | 'converted' | 'released' | 'expired'>>();
  // @ts-expect-error seats are held by `seatIds`
  await client.holds.create('event', { seats: ['seat'] });
  // @ts-expect-error reservation statuses are a closed set
  await client.reservations.listMine({ status: 'paid' });
  const _map = await client.seats.map('event');
  assertType<Equal<(typeof _map.seats)[number]['status'], 'available' | 'held' | 'sold'>>();

  // The escape hatch is typed by the spec too.
  const _viaRequest = await client.request((http, init) =>
    http.GET('/v1/events/{eventId}', { params: { path: { eventId: 'e' } }, ...init }),
  );
  assertType<Equal<typeof _viaRequest.status, EventStatus>>();
  // @ts-expect-error a path that is not in the spec
  await client.request((http, init) => http.GET('/v1/nope', init));

  // @ts-expect-error baseUrl is required
  new Tiketi({ token: 'x' });
  return notARole;
}
