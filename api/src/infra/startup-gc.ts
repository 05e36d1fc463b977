import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * One full garbage collection once the app is assembled, before it takes requests.
 *
 * Why: V8 keeps at most 1,536 property transitions from the map of `{}`, and only a full
 * collection drops those of dead objects. Compiling the route schemas at start-up (Ajv's code
 * generator names `err12`, `_errs86`, … and fast-json-stringify's `__fjs_root_N`) fills that list
 * with garbage; from then on every object built key by key from `{}` (Node's request headers,
 * Fastify's reply headers, pg rows, parsed bodies) gets a new map of its own, and every property
 * access on it misses V8's caches. Until the first full collection under load (8-30 s in), GET
 * /health cost 180-270 µs of API CPU instead of 100-150, and bench:holds lost about half its
 * throughput. Collecting here costs one pause of a few tens of milliseconds at start.
 */
export function collectStartupGarbage(): void {
  // The documented way to reach `gc()` without starting node with --expose-gc (jest does the same).
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  v8.setFlagsFromString('--no-expose-gc');
  gc();
}
