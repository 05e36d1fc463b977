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
 * Publishes a marker on the realtime channel through each of `states` and resolves once every
 * marker has come back: a connection delivers in order, so every message those connections
 * published before has reached every subscriber by then.
 */
export async function busBarrier(...states: SharedState[]): Promise<void> {
  await Promise.all(
    states.map(async (shared) => {
      const id = randomUUID();
      let arrive = () => {};
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      // Subscribed before publishing, so the marker cannot be missed.
      await shared.subscribe(REALTIME_CHANNEL, (raw) => {
        if (raw.includes(id)) arrive();
      });
      await shared.publish(REALTIME_CHANNEL, JSON.stringify({ topic: `test.barrier.${id}`, message: { barrier: id } }));
      await arrived;
    }),
  );
}
