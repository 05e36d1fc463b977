// The `queue` topic through the built `tiketi` against a live API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, createTestApp, type TestApp } from '../../test/harness/app.js';
import { createEventFixture, createUsers } from '../../test/harness/fixtures.js';
import { runCli, tempConfigHome, type CliRun } from './run-cli.js';

let t: TestApp;
let env: Record<string, string>;
const ok = (run: CliRun) => {
  expect(run.stderr, run.stdout).toBe('');
  expect(run.code).toBe(0);
  return run.json as Record<string, unknown>;
};

describe('queue commands against a live API', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    t = await createTestApp({ listen: true, config: { RATE_LIMIT: 'off' } });
    const admin = await createAdmin(t);
    env = { XDG_CONFIG_HOME: tempConfigHome() };
    ok(await runCli(['login', '-e', admin.email, '-p', admin.password, '--api-url', t.baseUrl, '--json'], env));
  });
  afterAll(async () => t?.close());

  it('configures, pauses, admits, resumes and watches a line', async () => {
    const ev = await createEventFixture(t.db);
    const settings = ok(
      await runCli(['queue', 'settings', ev.eventId, '--enable', '--admit-per-second', '5', '--max-active', '50', '--json'], env),
    );
    expect(settings).toMatchObject({ enabled: true, paused: false, admitPerSecond: 5, maxActive: 50, order: 'fifo' });
    expect(ok(await runCli(['queue', 'pause', ev.eventId, '--json'], env))).toMatchObject({ paused: true });

    const users = await createUsers(t, 3);
    for (const u of users) {
      await t.app.inject({ method: 'POST', url: `/v1/events/${ev.eventId}/queue/join`, headers: { authorization: `Bearer ${u.token}` } });
    }
    expect(ok(await runCli(['queue', 'status', ev.eventId, '--json'], env))).toMatchObject({ waiting: 3, active: 0 });
    expect(ok(await runCli(['queue', 'admit', ev.eventId, '-n', '2', '--json'], env))).toEqual({
      admitted: 2,
      userIds: [users[0]!.userId, users[1]!.userId],
    });
    const watched = ok(await runCli(['queue', 'watch', ev.eventId, '--updates', '1', '--json'], env));
    expect(watched).toMatchObject({ eventId: ev.eventId, updates: 1, last: { waiting: 1, active: 2, admittedTotal: 2 } });
    const human = await runCli(['queue', 'watch', ev.eventId, '--updates', '1'], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('1 waiting · 2/50 admitted now · 2 admitted in all');
    expect(ok(await runCli(['queue', 'resume', ev.eventId, '--json'], env))).toMatchObject({ paused: false });

    // Admin only: a buyer's token gets exit 4 and the API's code.
    const asBuyer = await runCli(['queue', 'admit', ev.eventId, '-n', '1', '--json'], { ...env, TIKETI_TOKEN: users[2]!.token });
    expect(asBuyer.code).toBe(4);
    expect(asBuyer.json).toMatchObject({ status: 'error', code: 'FORBIDDEN' });
  });
});
