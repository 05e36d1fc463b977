// k6 entry point of the `read-storm` scenario (steps in loadtest/scenarios/read-storm.ts):
//   k6 run -e LOADTEST_API_URL=http://127.0.0.1:3000 -e LOADTEST_ADMIN_EMAIL=... -e LOADTEST_ADMIN_PASSWORD=... loadtest/k6/read-storm.ts
// Add -e LOADTEST_SMOKE=1 for the smoke variant. See loadtest/README.md.
import { readStorm } from '../scenarios/read-storm.ts';
import { k6Entry } from './adapter.ts';

const entry = k6Entry(readStorm);
export const options = entry.options;
export const setup = entry.setup;
export const teardown = entry.teardown;
export const handleSummary = entry.handleSummary;
export const reader = entry.step('reader');
export const writer = entry.step('writer');
