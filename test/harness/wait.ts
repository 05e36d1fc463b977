// Waiting in functional tests without wall-clock assertions: poll until a condition holds (bounded
// only by the test's own timeout), and prove "everything published so far has arrived" by a later
// message instead of a sleep.
import { randomUUID } from 'node:crypto';
import type { SharedState } from '../../api/src/infra/shared-state.js';
import { REALTIME_CHANNEL } from '../../api/src/realtime/bus.js';

/** Polls `check` every `intervalMs` until it returns something other than undefined or false. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, intervalMs = 100): Promise<T> {
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Publishes a marker on the realtime channel through each of `publishers` (default: `listener`) and
 * resolves once `listener`'s subscription has received them all: Redis delivers to a subscriber in
 * the order it took the publishes, so every message those connections published before has reached
 * `listener`'s subscribers by then.
 */
export async function busBarrier(listener: SharedState, ...publishers: SharedState[]): Promise<void> {
  const ids = (publishers.length ? publishers : [listener]).map((shared) => ({ shared, id: randomUUID() }));
  const pending = new Set(ids.map((x) => x.id));
  let arrive = () => {};
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  // Subscribed before publishing, so no marker can be missed.
  await listener.subscribe(REALTIME_CHANNEL, (raw) => {
    for (const id of pending) if (raw.includes(id)) pending.delete(id);
    if (pending.size === 0) arrive();
  });
  for (const { shared, id } of ids) {
    await shared.publish(REALTIME_CHANNEL, JSON.stringify({ topic: `test.barrier.${id}`, message: { barrier: id } }));
  }
  await arrived;
}
