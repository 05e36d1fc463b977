// Type-checked as a NodeNext CommonJS consumer of the built package (resolves dist/index.d.cts).
import { Tiketi, type User } from '@tiketi/sdk';

export const me: Promise<User> = new Tiketi({ baseUrl: 'http://localhost:3000' }).auth.me();
