/**
 * Adds a hook to one route's own list (from an onRoute hook). Hooks that only some routes need go
 * there rather than app-wide, where every request of every route would pay for them.
 */
export function withRouteHook<T>(existing: T | T[] | undefined, hook: T): T[] {
  if (existing === undefined) return [hook];
  return [...(Array.isArray(existing) ? existing : [existing]), hook];
}
