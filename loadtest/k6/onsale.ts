// k6 entry point of the `onsale` scenario (steps in loadtest/scenarios/onsale.ts):
//   k6 run -e LOADTEST_API_URL=http://127.0.0.1:3000 -e LOADTEST_ADMIN_EMAIL=... -e LOADTEST_ADMIN_PASSWORD=... loadtest/k6/onsale.ts
// Add -e LOADTEST_SMOKE=1 for the smoke variant. See loadtest/README.md.
import { onsale } from '../scenarios/onsale.ts';
import { k6Entry } from './adapter.ts';

const entry = k6Entry(onsale);
export const options = entry.options;
export const setup = entry.setup;
export const teardown = entry.teardown;
export const handleSummary = entry.handleSummary;
export const buyer = entry.step('buyer');
