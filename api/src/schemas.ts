import { Type, type TObject, type TProperties, type TSchema, type ObjectOptions } from '@sinclair/typebox';
import { ERROR_CODES, type ErrorCode } from './errors.js';

/** An object schema that rejects unknown fields (every request body and query uses it). */
export const StrictObject = <T extends TProperties>(properties: T, options: ObjectOptions = {}): TObject<T> =>
  Type.Object(properties, { additionalProperties: false, ...options });

// ---- input formats -----------------------------------------------------------------------
// What the edge accepts is what PostgreSQL stores, so no bad input reaches the database as a 500.
// `format` keeps the spec's meaning; the patterns (and the strict formats in validation.ts) refuse
// what PostgreSQL would not parse or store.

/** A plain 8-4-4-4-12 hex UUID; `urn:uuid:`, braces and hyphen-less forms are refused. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

// A text character: anything but NUL (PostgreSQL text cannot hold it). Lone UTF-16 surrogates, which
// are not Unicode either, can only arrive as JSON \u escapes and are refused by the JSON body parser
// (validation.ts): a pattern naming them is one the fuzzer's regex engine cannot compile.
const TEXT_CHAR = '[^\\u0000]';
// What String.prototype.trim() removes, spelled out (Python's and JavaScript's \s differ, and the
// fuzzer generates from this pattern).
const SPACES = '\\t\\n\\v\\f\\r \\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF';
/** Any text without NUL. */
export const TEXT_PATTERN = `^${TEXT_CHAR}*$`;
/** Opaque tokens and keys: printable ASCII, no spaces. */
export const TOKEN_PATTERN = '^[!-~]+$';
/**
 * Text with at least one non-space character. Linear for any input: the three parts match disjoint
 * or nested classes in sequence, so a failed match never backtracks more than once per character.
 */
export const NON_BLANK_PATTERN = `^[${SPACES}]*[^${SPACES}\\u0000]${TEXT_CHAR}*$`;

type StringOptions = Parameters<typeof Type.String>[0];

export const Uuid = (options: StringOptions = {}) => Type.String({ format: 'uuid', pattern: UUID_PATTERN, ...options });
/** RFC 3339 date-time that PostgreSQL stores: years 0001-9999, offsets within ±15:59, no leap second. */
export const Timestamp = (options: StringOptions = {}) => Type.String({ format: 'date-time', ...options });
/** Free text (may be empty): no NUL. */
export const Text = (options: StringOptions = {}) => Type.String({ pattern: TEXT_PATTERN, ...options });
/** Text that must say something (names, titles): not empty and not only whitespace. */
export const NonBlankText = (maxLength: number, options: StringOptions = {}) =>
  Type.String({ minLength: 1, maxLength, pattern: NON_BLANK_PATTERN, ...options });
/** An absolute http(s) URL. */
export const HttpUrl = (options: StringOptions = {}) =>
  Type.String({
    format: 'uri',
    pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\u0000-\\u0020\\u007F]+$',
    maxLength: 2000,
    ...options,
  });
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

/**
 * Adds the answers of a route that reads a JSON body: 413 past its body limit, 415 for a body that is
 * not JSON, and MALFORMED_JSON among the 400s. app.ts applies it to every route with a body schema.
 */
export function addBodyProblems(response: Record<string, TSchema>) {
  const body = problems('PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
  response['413'] ??= body[413]!;
  response['415'] ??= body[415]!;
  const invalid = response['400'] as { description?: string } | undefined;
  if (invalid?.description && !invalid.description.includes('MALFORMED_JSON')) {
    response['400'] = { ...invalid, description: `${invalid.description}, MALFORMED_JSON` } as TSchema;
  }
}

/** Codes every authenticated route may answer with. */
export const AUTH_PROBLEMS: ErrorCode[] = ['AUTHENTICATION_REQUIRED', 'INVALID_TOKEN', 'INVALID_API_KEY'];
export const ADMIN_PROBLEMS: ErrorCode[] = [...AUTH_PROBLEMS, 'FORBIDDEN'];

export const ListQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Page size' })),
  cursor: Type.Optional(Type.String({ maxLength: 500, pattern: '^[A-Za-z0-9_-]*$', description: "From the previous page's nextCursor" })),
};

export const Page = <T extends TSchema>(item: T, title?: string) =>
  Type.Object({ data: Type.Array(item), nextCursor: Nullable(Type.String()) }, title ? { title } : {});
