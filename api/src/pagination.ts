import { AppError } from './errors.js';

/**
 * Keyset pagination, the one way every list pages. A list declares its sort key (columns, all in
 * one direction, the last one unique); the helper gives the SQL for the key of each row, the
 * condition for "after this cursor" and the ORDER BY, and turns rows into a page.
 *
 * Cursors carry the sort key as PostgreSQL prints it, timestamps to the microsecond: a cursor in
 * milliseconds skipped rows created in the same millisecond (4 of 9 keyword mappings came back).
 * A cursor is decoded and every part checked against its column type, so a forged one is a 400.
 */
export type KeyType = 'timestamptz' | 'uuid' | 'boolean';

export interface Keyset {
  /** Select-list item: the row's sort key as text, `page_key`. */
  select: string;
  /** Condition: the row comes after the cursor bound as the text[] parameter `$param` (true when null). */
  after(param: number): string;
  orderBy: string;
  /** Checks a client's cursor; the text[] to bind, or null without one. */
  decode(cursor: string | undefined): string[] | null;
}

// Timestamps print as UTC with microseconds and the era, which PostgreSQL reads back exactly.
const TIMESTAMP_FORMAT = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z" BC'`;
const PARTS: Record<KeyType, RegExp> = {
  timestamptz: /^\d{4,5}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{6}Z (AD|BC)$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  boolean: /^(true|false)$/,
};

export function invalidCursor(): AppError {
  return new AppError('VALIDATION_FAILED', 'The cursor is not one this API gave out', {
    errors: [{ path: '/querystring/cursor', message: 'is not a valid cursor' }],
  });
}

/** Opaque cursors: base64url of a JSON array. */
export function encodeCursor(parts: unknown[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

function decodeParts(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A date the calendar has (the pattern allows 31 February): checked by a round trip through Date. */
function isCalendarDate(value: string): boolean {
  const [year, month, day] = value.slice(0, value.indexOf('T')).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** @param direction of every column; @param columns SQL expressions of the sort key with their types. */
export function keyset(direction: 'ASC' | 'DESC', ...columns: Array<readonly [sql: string, type: KeyType]>): Keyset {
  const texts = columns.map(([sql, type]) =>
    type === 'timestamptz' ? `to_char(${sql} AT TIME ZONE 'UTC', ${TIMESTAMP_FORMAT})` : `${sql}::text`,
  );
  const tuple = columns.map(([sql]) => sql).join(', ');
  return {
    select: `ARRAY[${texts.join(', ')}] AS page_key`,
    after: (param) =>
      `($${param}::text[] IS NULL OR (${tuple}) ${direction === 'DESC' ? '<' : '>'} (${columns
        .map(([, type], i) => `($${param}::text[])[${i + 1}]::${type}`)
        .join(', ')}))`,
    orderBy: columns.map(([sql]) => `${sql} ${direction}`).join(', '),
    decode(cursor) {
      if (!cursor) return null;
      const parts = decodeParts(cursor);
      if (
        !Array.isArray(parts) ||
        parts.length !== columns.length ||
        !parts.every(
          (part, i) =>
            typeof part === 'string' && PARTS[columns[i]![1]].test(part) && (columns[i]![1] !== 'timestamptz' || isCalendarDate(part)),
        )
      ) {
        throw invalidCursor();
      }
      return parts as string[];
    },
  };
}

/** A page from rows fetched with limit + 1 and `page_key`: the extra row only says that there is a next page. */
export function pageOf<R extends { page_key: string[] }, T>(rows: R[], limit: number, map: (r: R) => T) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { data: page.map(map), nextCursor: rows.length > limit && last ? encodeCursor(last.page_key) : null };
}

/**
 * A background job's turns over a backlog in keyset order: each turn takes the page after where the
 * last one stopped, and starts over once past the end. Jobs whose items may stay open (waiting on a
 * human or on the provider) take turns this way, so a page of those cannot starve later ones.
 */
export function takingTurns<R extends { page_key: string[] }>(fetch: (limit: number, after: string[] | null) => Promise<R[]>) {
  let after: string[] | null = null;
  return async (limit: number): Promise<R[]> => {
    let page = await fetch(limit, after);
    if (page.length === 0 && after) page = await fetch(limit, null);
    after = page.length === limit ? page.at(-1)!.page_key : null;
    return page;
  };
}

/** Ranked lists (search) page by position: the cursor is the offset of the next row. */
export const MAX_OFFSET = 1_000_000;
export function decodeOffsetCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  const parts = decodeParts(cursor);
  if (!Array.isArray(parts) || parts.length !== 1 || !Number.isSafeInteger(parts[0]) || parts[0] < 0 || parts[0] > MAX_OFFSET) {
    throw invalidCursor();
  }
  return parts[0] as number;
}
