import { Type, type TObject, type TProperties, type TSchema, type ObjectOptions } from '@sinclair/typebox';
import { AppError, ERROR_CODES, type ErrorCode } from './errors.js';

/** An object schema that rejects unknown fields (every request body and query uses it). */
export const StrictObject = <T extends TProperties>(properties: T, options: ObjectOptions = {}): TObject<T> =>
  Type.Object(properties, { additionalProperties: false, ...options });

export const Uuid = (options: Record<string, unknown> = {}) => Type.String({ format: 'uuid', ...options });
export const Timestamp = (options: Record<string, unknown> = {}) => Type.String({ format: 'date-time', ...options });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ProblemRef = Type.Ref('Problem');

/**
 * Response schemas for the problems a route can answer with; each status is described by the codes
 * it may carry, so the spec lists them route by route.
 */
export function problems(...codes: ErrorCode[]): Record<number, TSchema> {
  const byStatus = new Map<number, string[]>();
  for (const code of ['VALIDATION_FAILED', 'RATE_LIMITED', 'INTERNAL_ERROR', ...codes] as ErrorCode[]) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...new Set([...(byStatus.get(status) ?? []), code])]);
  }
  const out: Record<number, TSchema> = {};
  for (const [status, list] of byStatus) {
    out[status] = Type.Unsafe({
      description: `Problem with code ${list.join(', ')}`,
      content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } },
    });
  }
  return out;
}

/** Codes every authenticated route may answer with. */
export const AUTH_PROBLEMS: ErrorCode[] = ['AUTHENTICATION_REQUIRED', 'INVALID_TOKEN', 'INVALID_API_KEY'];
export const ADMIN_PROBLEMS: ErrorCode[] = [...AUTH_PROBLEMS, 'FORBIDDEN'];

export const ListQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Page size' })),
  cursor: Type.Optional(Type.String({ maxLength: 500, description: "From the previous page's nextCursor" })),
};

export const Page = <T extends TSchema>(item: T, title?: string) =>
  Type.Object({ data: Type.Array(item), nextCursor: Nullable(Type.String()) }, title ? { title } : {});

/** A page from rows fetched with limit + 1: the extra row only says that there is a next page. */
export function pageOf<R, T>(rows: R[], limit: number, map: (r: R) => T, keyOf: (r: R) => unknown[]) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(map), nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}

/** Opaque cursors: base64url of the sort key of the last row. */
export function encodeCursor(parts: unknown[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}
export function decodeCursor<T extends unknown[]>(cursor: string | undefined, shape: number): T | undefined {
  if (!cursor) return undefined;
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parts) && parts.length === shape) return parts as T;
  } catch {
    // fall through to the error below
  }
  throw new AppError('VALIDATION_FAILED', 'The cursor is not one this API gave out', {
    errors: [{ path: '/querystring/cursor', message: 'is not a valid cursor' }],
  });
}
