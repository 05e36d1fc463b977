import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isDependencyOutage, OUTAGE_RETRY_AFTER_SECONDS } from '../infra/outage.js';
import pg from 'pg';
import { AppError, ERROR_CODES, ProblemSchema, problemType, type ErrorCode, type FieldError } from '../errors.js';

// The security headers that matter for a JSON API, set once per request. @fastify/helmet computes
// them per request and cost 40 % of GET /health's throughput here (6,970 → 4,160 req/s, autocannon,
// 50 connections), so we set the fixed set ourselves, in a synchronous hook (an async one cost
// ~7 µs of API CPU per request). helmet's X-DNS-Prefetch-Control, X-Download-Options and
// X-Permitted-Cross-Domain-Policies are left out: they concern HTML pages in browsers (and IE8 and
// Flash), and each header costs every response. /docs needs inline scripts, hence no CSP.
export const SECURITY_HEADERS = [
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
  ['strict-transport-security', 'max-age=31536000; includeSubDomains'],
  ['cross-origin-resource-policy', 'cross-origin'],
] as const;

/** The headers every answer carries: its request id and the security set. */
export function setResponseHeaders(request: FastifyRequest, reply: FastifyReply) {
  reply.header('x-request-id', request.id);
  for (const [name, value] of SECURITY_HEADERS) reply.header(name, value);
}

/** Writes a problem+json answer; the only place responses for errors are shaped. */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  code: ErrorCode,
  detail?: string,
  extra: Record<string, unknown> = {},
) {
  const { status, title } = ERROR_CODES[code];
  return reply
    .status(status)
    .type('application/problem+json')
    .send({ type: problemType(code), title, status, detail: detail ?? title, code, requestId: request.id, ...extra });
}

/** Field errors of a schema validation failure, as JSON pointers into the request (`/body/email`). */
export function validationErrors(err: Pick<FastifyError, 'validation' | 'validationContext'>): FieldError[] {
  return (err.validation ?? []).map((v) => {
    const base = `/${err.validationContext ?? 'body'}${v.instancePath}`;
    const params = v.params as Record<string, unknown>;
    if (v.keyword === 'additionalProperties') {
      return { path: `${base}/${String(params.additionalProperty)}`, message: 'is not a known field' };
    }
    if (v.keyword === 'required') return { path: `${base}/${String(params.missingProperty)}`, message: 'is required' };
    return { path: base, message: v.message ?? 'is invalid' };
  });
}

// Fastify's own error codes that are the client's fault, mapped to ours.
const FASTIFY_CLIENT_ERRORS: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
};

/**
 * PostgreSQL refusing a value (22xxx data exceptions, 23xxx integrity violations) means the input
 * got past the schema: a 4xx for the caller, logged as a warning so that the gap gets closed.
 * Other SQLSTATEs (connection, serialization) stay server faults.
 */
function databaseProblem(err: unknown): ErrorCode | undefined {
  if (!(err instanceof pg.DatabaseError) || !err.code) return undefined;
  if (err.code === '23505' || err.code === '23503' || err.code === '23P01') return 'CONFLICT';
  if (err.code.startsWith('22') || err.code === '23514' || err.code === '23502') return 'VALIDATION_FAILED';
  return undefined;
}

/**
 * Errors Fastify answers before routing (the `frameworkErrors` option): a URL that does not decode,
 * or a path parameter past maxParamLength. No hook has run yet, so the headers are set here.
 */
export function frameworkErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  setResponseHeaders(request, reply);
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendProblem(request, reply, 'URI_TOO_LONG', 'A path segment is too long');
  if (err.code === 'FST_ERR_BAD_URL') return sendProblem(request, reply, 'MALFORMED_URL', 'The URL has invalid percent-encoding');
  return sendProblem(request, reply, 'MALFORMED_REQUEST', 'The request cannot be routed');
}

/** Request lines from this length on that overflow the header limit are answered 414, not 431. */
const LONG_REQUEST_LINE = 8192;

/**
 * Errors Node's HTTP parser answers before Fastify sees a request (the `clientErrorHandler`
 * option): headers past the 16 KiB limit (431, or 414 when the request line is what is long),
 * a request that took too long to arrive (408), anything that is not HTTP (400). Written to the
 * socket as problem+json with the usual headers; the connection is closed afterwards.
 */
export function clientErrorHandler(err: Error & { code?: string; rawPacket?: unknown }, socket: Duplex) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let code: ErrorCode = 'MALFORMED_REQUEST';
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') code = 'REQUEST_TIMEOUT';
  else if (err.code === 'HPE_HEADER_OVERFLOW') {
    const packet = Buffer.isBuffer(err.rawPacket) ? err.rawPacket.subarray(0, LONG_REQUEST_LINE + 2).toString('latin1') : '';
    const firstLine = packet.split('\r\n', 1)[0]!;
    code = /^[A-Z]+ /.test(packet) && firstLine.length >= LONG_REQUEST_LINE ? 'URI_TOO_LONG' : 'HEADERS_TOO_LARGE';
  }
  const { status, title } = ERROR_CODES[code];
  const requestId = randomUUID();
  const body = JSON.stringify({ type: problemType(code), title, status, detail: title, code, requestId });
  const headers = [
    ['content-type', 'application/problem+json; charset=utf-8'],
    ['content-length', String(Buffer.byteLength(body))],
    ['connection', 'close'],
    ['x-request-id', requestId],
    ...SECURITY_HEADERS,
  ];
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`);
  } else {
    socket.destroy();
  }
}

// Methods a route may declare; OPTIONS is the CORS preflight, answered on every path.
const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** One error handler for the app: problem+json with a stable code; never a 5xx's inner message. */
export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.addSchema(ProblemSchema);

    // A known path with an undeclared method is a 405 with the methods it has, not a 404. Only
    // requests that matched no route pay for the lookups.
    const routeMissing = (request: FastifyRequest, reply: FastifyReply) => {
      const path = request.url.split('?', 1)[0]!;
      const allowed = ROUTE_METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
      if (allowed.length > 0 && !allowed.includes(request.method)) {
        reply.header('allow', allowed.join(', '));
        return sendProblem(request, reply, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed here; use ${allowed.join(', ')}`);
      }
      return sendProblem(request, reply, 'NOT_FOUND', `No route for ${request.method} ${path}`);
    };

    app.setErrorHandler((err: FastifyError, request, reply) => {
      // Matched no route, but its body could not be read first (QUERY without a Content-Type, bad
      // JSON to an unknown path): the answer is still about the route.
      if (request.is404) return routeMissing(request, reply);
      if (err instanceof AppError) {
        if (err.status >= 500) request.log.error({ err }, 'request failed');
        if (typeof err.extra.retryAfterSeconds === 'number') reply.header('retry-after', err.extra.retryAfterSeconds);
        return sendProblem(request, reply, err.code, err.detail, err.extra);
      }
      if (err.validation) {
        return sendProblem(request, reply, 'VALIDATION_FAILED', 'The request has invalid fields', {
          errors: validationErrors(err),
        });
      }
      if (err.statusCode === 429) {
        const retryAfter = Number(reply.getHeader('retry-after')) || undefined;
        return sendProblem(request, reply, 'RATE_LIMITED', 'Slow down and retry later', { retryAfterSeconds: retryAfter });
      }
      if (err instanceof SyntaxError || (err.code && FASTIFY_CLIENT_ERRORS[err.code])) {
        const code = err instanceof SyntaxError ? 'MALFORMED_JSON' : FASTIFY_CLIENT_ERRORS[err.code]!;
        return sendProblem(request, reply, code, err.message);
      }
      const dbCode = databaseProblem(err);
      if (dbCode) {
        request.log.warn({ err }, 'the database refused the input');
        const detail =
          dbCode === 'CONFLICT' ? 'The request conflicts with existing data' : 'A value is out of range or not valid for its field';
        return sendProblem(request, reply, dbCode, detail);
      }
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
        return sendProblem(request, reply, 'VALIDATION_FAILED', err.message);
      }
      if (isDependencyOutage(err)) {
        request.log.warn({ err }, 'dependency unavailable');
        reply.header('retry-after', OUTAGE_RETRY_AFTER_SECONDS);
        return sendProblem(request, reply, 'SERVICE_UNAVAILABLE', 'A dependency is unreachable; retry shortly', {
          retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS,
        });
      }
      request.log.error({ err }, 'unhandled error');
      return sendProblem(request, reply, 'INTERNAL_ERROR', 'Something went wrong on our side; the request id helps us find it');
    });

    app.setNotFoundHandler(routeMissing);
  },
  { name: 'errors' },
);
