// Type-checked as a NodeNext ESM consumer of the built package (resolves dist/index.d.ts).
import { Tiketi, type CreatedApiKey } from '@tiketi/sdk';

export const created: Promise<CreatedApiKey> = new Tiketi({ baseUrl: 'http://localhost:3000' }).apiKeys.create({ name: 'ci' });
