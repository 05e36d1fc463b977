// Seeded randomness for tests: TEST_SEED=<n> replays a run; the seed is printed when a test fails.
import { onTestFailed } from 'vitest';

/** mulberry32: a small, fast PRNG, good enough to pick seats and junk tokens reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A seeded random source for the current test (call inside the test): the seed comes from TEST_SEED
 * or is drawn, and is printed if the test fails, so the failing run can be replayed.
 */
export function seededRandom(): { random: () => number; int: (below: number) => number; hex: (length: number) => string; seed: number } {
  const seed = process.env.TEST_SEED ? Number(process.env.TEST_SEED) : Math.floor(Math.random() * 2 ** 31);
  onTestFailed(() => {
    console.error(`test failed with TEST_SEED=${seed} (rerun with that variable to replay it)`);
  });
  const random = prng(seed);
  const int = (below: number) => Math.floor(random() * below);
  const hex = (length: number) => Array.from({ length }, () => int(16).toString(16)).join('');
  return { random, int, hex, seed };
}
