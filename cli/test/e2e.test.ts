// The few checks that need `tiketi` as its own process: a password piped on stdin, --version, the
// exit status a shell sees, and `seats map --watch` with its live connection down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createAdmin, createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';
import { createEventFixture } from '../../test/harness/fixtures.js';
import { spawnCli, startCli, tempConfigHome } from './run-cli.js';

let t: TestApp;
let admin: { email: string; password: string };
beforeAll(async () => {
  t = await createTestApp({ listen: true, config: { RATE_LIMIT: 'off' } });
  admin = await createAdmin(t);
});
afterAll(async () => t?.close());

describe('tiketi as a process', { timeout: 120_000 }, () => {
  it('prints its version', async () => {
    const run = await spawnCli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^@tiketi\/cli\/\d+\.\d+\.\d+ /);
  });

  it('logs in with a password piped to --password-stdin, then answers not-a-uuid with a JSON error and a non-zero exit', async () => {
    const env = { XDG_CONFIG_HOME: tempConfigHome() };
    const login = await spawnCli(
      ['login', '--email', admin.email, '--password-stdin', '--api-url', t.baseUrl, '--json'],
      env,
      `${admin.password}\n`,
    );
    expect(login.code, login.stderr).toBe(0);
    expect(login.json).toMatchObject({ status: 'ok', result: { user: { email: admin.email, role: 'admin' } } });
    const wrong = await spawnCli(['login', '--email', admin.email, '--password-stdin', '--api-url', t.baseUrl, '--json'], env, 'nope\n');
    expect([wrong.code, wrong.json]).toEqual([3, expect.objectContaining({ code: 'INVALID_CREDENTIALS' })]);

    const bad = await spawnCli(['events', 'get', 'not-a-uuid', '--json'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.json).toMatchObject({ status: 'error', code: expect.stringMatching(/^[A-Z_]+$/), exitCode: bad.code });
  });

  it('seats map --watch says the live connection is down and keeps the map current by polling', async () => {
    const ev = await createEventFixture(t.db, { sections: [{ name: 'A', rows: 1, seatsPerRow: 5, price: 1000 }] });
    // Nothing listens on port 9: the live channel cannot connect.
    const watcher = startCli(
      ['seats', 'map', ev.eventId, '--watch', '--ascii', '--poll-interval', '1', '--realtime-url', 'ws://127.0.0.1:9'],
      {
        XDG_CONFIG_HOME: tempConfigHome(),
        TIKETI_API_URL: t.baseUrl,
      },
    );
    try {
      await watcher.waitFor(/Live updates unavailable \(.+\); polling every 1 s/, 'stderr');
      expect(watcher.stderr).not.toContain('[object Object]');
      const user = await registerUser(t.app);
      const hold = await t.app.inject({
        method: 'POST',
        url: `/v1/events/${ev.eventId}/holds`,
        headers: bearer(user.token),
        payload: { seatIds: ev.seats.A!.slice(0, 2) },
      });
      expect(hold.statusCode).toBe(201);
      await watcher.waitFor(/--- version \d+[\s\S]*h held 2/);
    } finally {
      expect(await watcher.stop()).toBe(0);
    }
  });
});
