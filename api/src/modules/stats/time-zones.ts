// IANA zone names as ICU knows them. A name must be one of these or an alias of one: PostgreSQL
// would also take POSIX strings such as `UTC+9`, which it reads as nine hours WEST of UTC.
const ZONES = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);

/** The zone's name as ICU spells it (`asia/seoul` → `Asia/Seoul`), or null when it is not an IANA zone. */
export function canonicalTimeZone(name: string): string | null {
  try {
    const resolved = new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
    return ZONES.has(resolved) ? resolved : null;
  } catch {
    return null;
  }
}

/** Whether a time zone name is an IANA zone (or an alias of one). */
export const isTimeZone = (name: string) => canonicalTimeZone(name) !== null;
