// Every scenario, by name: what the runner runs with `all` and the smoke.
import type { Scenario } from './adapter.ts';
import { onsale } from './onsale.ts';
import { queueStorm } from './queue-storm.ts';
import { readStorm } from './read-storm.ts';
import { seatContention } from './seat-contention.ts';

export const SCENARIOS: Record<string, Scenario<unknown>> = {
  'queue-storm': queueStorm as unknown as Scenario<unknown>,
  'seat-contention': seatContention as unknown as Scenario<unknown>,
  'read-storm': readStorm as unknown as Scenario<unknown>,
  onsale: onsale as unknown as Scenario<unknown>,
};
