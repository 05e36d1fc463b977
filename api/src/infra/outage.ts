// Recognises errors that mean "a dependency (PostgreSQL or Redis) is unreachable right now", which
// the API answers 503 SERVICE_UNAVAILABLE with Retry-After instead of 500: the request was fine,
// and the same request may succeed once the dependency is back (the pools reconnect on their own).

// Socket-level failures, from pg or ioredis.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

// PostgreSQL SQLSTATEs: class 08 (connection exception), 57P01-57P03 (shutdown, crash, starting up),
// 53300 (too many connections).
const PG_OUTAGE = /^(08...|57P0[123]|53300)$/;

const OUTAGE_MESSAGES = [
  // pg
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Cannot use a pool after calling end on the pool',
  // ioredis
  "Stream isn't writeable",
  'Connection is closed',
  'Command timed out',
  'Reached the max retries per request limit',
];

/** Whether err says PostgreSQL or Redis is down or unreachable (not that the request was wrong). */
export function isDependencyOutage(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown; name?: unknown } | undefined, depth = 0;
    e && depth < 3;
    depth++
  ) {
    if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || PG_OUTAGE.test(e.code))) return true;
    if (e.name === 'MaxRetriesPerRequestError') return true;
    if (typeof e.message === 'string' && OUTAGE_MESSAGES.some((m) => (e!.message as string).includes(m))) return true;
    e = e.cause as typeof e;
  }
  return false;
}

/** Seconds a client should wait before retrying during an outage. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;
