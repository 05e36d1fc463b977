import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { isDependencyOutage, OUTAGE_RETRY_AFTER_SECONDS } from '../infra/outage.js';
import { AppError, ERROR_CODES, ProblemSchema, problemType, type ErrorCode, type FieldError } from '../errors.js';

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

/** One error handler for the app: problem+json with a stable code; never a 5xx's inner message. */
export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.addSchema(ProblemSchema);

    app.setErrorHandler((err: FastifyError, request, reply) => {
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

    app.setNotFoundHandler((request, reply) =>
      sendProblem(request, reply, 'NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`),
    );
  },
  { name: 'errors' },
);
