// k6 entry point of the `queue-storm` scenario (steps in loadtest/scenarios/queue-storm.ts):
//   k6 run -e LOADTEST_API_URL=http://127.0.0.1:3000 -e LOADTEST_ADMIN_EMAIL=... -e LOADTEST_ADMIN_PASSWORD=... loadtest/k6/queue-storm.ts
// Add -e LOADTEST_SMOKE=1 for the smoke variant. See loadtest/README.md.
import { queueStorm } from '../scenarios/queue-storm.ts';
import { k6Entry } from './adapter.ts';

const entry = k6Entry(queueStorm);
export const options = entry.options;
export const setup = entry.setup;
export const teardown = entry.teardown;
export const handleSummary = entry.handleSummary;
export const joiner = entry.step('joiner');
export const watcher = entry.step('watcher');
