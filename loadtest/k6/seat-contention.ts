// k6 entry point of the `seat-contention` scenario (steps in loadtest/scenarios/seat-contention.ts):
//   k6 run -e LOADTEST_API_URL=http://127.0.0.1:3000 -e LOADTEST_ADMIN_EMAIL=... -e LOADTEST_ADMIN_PASSWORD=... loadtest/k6/seat-contention.ts
// Add -e LOADTEST_SMOKE=1 for the smoke variant. See loadtest/README.md.
import { seatContention } from '../scenarios/seat-contention.ts';
import { k6Entry } from './adapter.ts';

const entry = k6Entry(seatContention);
export const options = entry.options;
export const setup = entry.setup;
export const teardown = entry.teardown;
export const handleSummary = entry.handleSummary;
export const seated = entry.step('seated');
export const general = entry.step('general');
