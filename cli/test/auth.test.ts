// The built `tiketi` against a live API: sign-in, profiles, API keys, and the error contract
// (exit code + problem code in the --json error object).
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';
import { runCli, tempConfigHome } from './run-cli.js';

let t: TestApp;
let admin: { email: string; password: string };
beforeAll(async () => {
  t = await createTestApp({ listen: true });
  admin = await createAdmin(t);
});
afterAll(async () => t?.close());

describe('login, whoami, logout', { timeout: 120_000 }, () => {
  it('signs in with --json, saves the token 0600 in XDG_CONFIG_HOME, and whoami shows the admin role', async () => {
    const home = tempConfigHome();
    const env = { XDG_CONFIG_HOME: home };
    const login = await runCli(['login', '--email', admin.email, '--password', admin.password, '--api-url', t.baseUrl, '--json'], env);
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    expect(login.json).toMatchObject({ profile: 'default', apiUrl: t.baseUrl, user: { email: admin.email, role: 'admin' } });

    const file = path.join(home, 'tiketi', 'profiles.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.profiles.default).toMatchObject({ apiUrl: t.baseUrl, email: admin.email });
    expect(saved.profiles.default.token).toMatch(/^ey/);
    expect(saved.profiles.default.refreshToken).toMatch(/^rt_/);

    // No TIKETI_API_URL: the profile remembers where it signed in.
    const whoami = await runCli(['whoami', '--json'], env);
    expect(whoami.code).toBe(0);
    expect(whoami.json).toMatchObject({ profile: 'default', credential: 'profile', user: { email: admin.email, role: 'admin' } });

    const human = await runCli(['whoami'], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(admin.email);
    expect(human.stdout).toContain('admin');

    const logout = await runCli(['logout', '--json'], env);
    expect(logout.json).toEqual({ profile: 'default', loggedOut: true, revokedOnServer: true });
    // The sign-in is revoked on the server too: the saved refresh token no longer works.
    const refresh = await fetch(`${t.baseUrl}/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: saved.profiles.default.refreshToken }),
    });
    expect(refresh.status).toBe(401);
    const after = await runCli(['whoami', '--json'], env);
    expect(after.code).toBe(3);
    expect(after.json).toMatchObject({ status: 'error', code: 'AUTHENTICATION_REQUIRED', exitCode: 3 });
  });

  it('keeps profiles apart: --profile signs in a second account without touching the default', async () => {
    const env = { XDG_CONFIG_HOME: tempConfigHome() };
    const user = await registerUser(t.app);
    await runCli(['login', '-e', admin.email, '-p', admin.password, '--api-url', t.baseUrl, '--json'], env);
    const second = await runCli(
      ['login', '-e', user.email, '-p', user.password, '--api-url', t.baseUrl, '--profile', 'shopper', '--json'],
      env,
    );
    expect(second.code).toBe(0);
    expect((await runCli(['whoami', '--json'], env)).json).toMatchObject({ user: { role: 'admin' } });
    expect((await runCli(['whoami', '--json', '--profile', 'shopper'], env)).json).toMatchObject({
      user: { email: user.email, role: 'user' },
    });
    // A user account is refused admin commands with the permission exit code.
    const denied = await runCli(['api-keys', 'list', '--json', '--profile', 'shopper'], env);
    expect(denied.code).toBe(4);
    expect(denied.json).toMatchObject({ status: 'error', code: 'FORBIDDEN', exitCode: 4, httpStatus: 403 });
  });

  it('refuses a wrong password with exit code 3 and INVALID_CREDENTIALS, and saves nothing', async () => {
    const home = tempConfigHome();
    const res = await runCli(['login', '--email', admin.email, '--password', 'wrong password', '--api-url', t.baseUrl, '--json'], {
      XDG_CONFIG_HOME: home,
    });
    expect(res.code).toBe(3);
    expect(res.json).toMatchObject({ status: 'error', code: 'INVALID_CREDENTIALS', exitCode: 3, httpStatus: 401 });
    expect((res.json as { suggestion: string }).suggestion).toMatch(/tiketi login/);
    expect(existsSync(path.join(home, 'tiketi', 'profiles.json'))).toBe(false);
    // Humans get the message, the code and the hint on stderr, and nothing on stdout.
    const human = await runCli(['login', '--email', admin.email, '--password', 'wrong password', '--api-url', t.baseUrl], {
      XDG_CONFIG_HOME: home,
    });
    expect(human.code).toBe(3);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain('INVALID_CREDENTIALS');
    expect(human.stderr).toContain('tiketi login');
  });

  it('fails fast without a terminal when the password is missing, and on unknown flags', async () => {
    const env = { XDG_CONFIG_HOME: tempConfigHome() };
    const missing = await runCli(['login', '--email', admin.email, '--api-url', t.baseUrl, '--json'], env);
    expect(missing.code).toBe(2);
    expect(missing.json).toMatchObject({ code: 'INVALID_ARGUMENTS', exitCode: 2 });
    const unknown = await runCli(['whoami', '--bogus', '--json'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.json).toMatchObject({ status: 'error', code: 'INVALID_ARGUMENTS' });
  });

  it('answers "server down" with the connection exit code 7 and a hint naming the URL', async () => {
    const res = await runCli(['login', '--email', admin.email, '--password', admin.password, '--json'], {
      XDG_CONFIG_HOME: tempConfigHome(),
      TIKETI_API_URL: 'http://127.0.0.1:9', // discard port: nothing listens
    });
    expect(res.code).toBe(7);
    expect(res.json).toMatchObject({ status: 'error', code: 'CONNECTION_FAILED', exitCode: 7 });
    expect((res.json as { suggestion: string }).suggestion).toContain('http://127.0.0.1:9');
  });
});

describe('api-keys', { timeout: 120_000 }, () => {
  it('creates, lists and revokes a key; the key works through TIKETI_API_KEY until revoked', async () => {
    const env = { XDG_CONFIG_HOME: tempConfigHome() };
    await runCli(['login', '-e', admin.email, '-p', admin.password, '--api-url', t.baseUrl, '--json'], env);

    const created = await runCli(['api-keys', 'create', '--name', 'ci', '--json'], env);
    expect(created.code).toBe(0);
    const key = created.json as { id: string; name: string; secret: string; prefix: string };
    expect(key).toMatchObject({ name: 'ci', scopes: ['read-only'] });
    expect(key.secret).toMatch(/^tk_/);

    const listed = await runCli(['api-keys', 'list', '--json'], env);
    expect(listed.code).toBe(0);
    const page = listed.json as { data: { id: string; revokedAt: string | null; secret?: string }[]; nextCursor: string | null };
    expect(page.data.map((k) => k.id)).toContain(key.id);
    expect(page.data.every((k) => k.secret === undefined)).toBe(true);

    const human = await runCli(['api-keys', 'list'], env);
    expect(human.stdout).toContain(key.id);
    expect(human.stdout).toContain(key.prefix);

    // The key alone (empty config home, env only) acts as the admin.
    const keyEnv = { XDG_CONFIG_HOME: tempConfigHome(), TIKETI_API_URL: t.baseUrl, TIKETI_API_KEY: key.secret };
    const viaKey = await runCli(['whoami', '--json'], keyEnv);
    expect(viaKey.code).toBe(0);
    expect(viaKey.json).toMatchObject({ credential: 'TIKETI_API_KEY', user: { email: admin.email, role: 'admin' } });
    expect((await runCli(['keyword-mappings', 'list', '--json'], keyEnv)).code).toBe(0);
    // A key cannot manage keys: that needs `tiketi login`.
    const minted = await runCli(['api-keys', 'create', '--name', 'minted', '--json'], keyEnv);
    expect(minted.json).toMatchObject({ code: 'FORBIDDEN', exitCode: 4 });

    const revoked = await runCli(['api-keys', 'revoke', key.id, '--json'], env);
    expect(revoked.code).toBe(0);
    expect(revoked.json).toMatchObject({ id: key.id });
    expect((revoked.json as { revokedAt: string | null }).revokedAt).not.toBeNull();

    const refused = await runCli(['keyword-mappings', 'list', '--json'], keyEnv);
    expect(refused.code).toBe(3);
    expect(refused.json).toMatchObject({ status: 'error', code: 'INVALID_API_KEY', exitCode: 3, httpStatus: 401 });
    expect((refused.json as { suggestion: string }).suggestion).toMatch(/api-keys create/);

    const again = await runCli(['api-keys', 'revoke', '00000000-0000-4000-8000-000000000000', '--json'], env);
    expect(again.code).toBe(5);
    expect(again.json).toMatchObject({ code: 'API_KEY_NOT_FOUND', exitCode: 5 });
  });

  it('pages with --limit and --cursor, and --all gathers every page', async () => {
    const env = { XDG_CONFIG_HOME: tempConfigHome() };
    await runCli(['login', '-e', admin.email, '-p', admin.password, '--api-url', t.baseUrl, '--json'], env);
    for (const name of ['page-a', 'page-b', 'page-c'])
      expect((await runCli(['api-keys', 'create', '-n', name, '--json'], env)).code).toBe(0);
    const first = (await runCli(['api-keys', 'list', '--limit', '2', '--json'], env)).json as {
      data: { id: string }[];
      nextCursor: string;
    };
    expect(first.data).toHaveLength(2);
    expect(first.nextCursor).toBeTruthy();
    const second = (await runCli(['api-keys', 'list', '--limit', '2', '--cursor', first.nextCursor, '--json'], env)).json as {
      data: { id: string }[];
    };
    expect(second.data.length).toBeGreaterThan(0);
    expect(second.data.map((k) => k.id)).not.toContain(first.data[0]!.id);
    const all = (await runCli(['api-keys', 'list', '--limit', '2', '--all', '--json'], env)).json as {
      data: { id: string; name: string }[];
      nextCursor: null;
    };
    expect(all.data.map((k) => k.name)).toEqual(expect.arrayContaining(['page-a', 'page-b', 'page-c']));
    expect(new Set(all.data.map((k) => k.id)).size).toBe(all.data.length);
    expect(all.data.length).toBeGreaterThan(2); // more than one page of 2
    expect(all.nextCursor).toBeNull();
  });
});

describe('sessions and users', { timeout: 120_000 }, () => {
  it('renews an expired or revoked access token by itself and saves the new pair in the profile', async () => {
    const home = tempConfigHome();
    const env = { XDG_CONFIG_HOME: home };
    const user = await registerUser(t.app);
    await runCli(['login', '-e', user.email, '-p', user.password, '--api-url', t.baseUrl, '--json'], env);
    const file = path.join(home, 'tiketi', 'profiles.json');
    const before = JSON.parse(readFileSync(file, 'utf8')).profiles.default;

    // An admin promotes the user: the saved access token is revoked (its version bumped).
    const adminEnv = { XDG_CONFIG_HOME: tempConfigHome() };
    await runCli(['login', '-e', admin.email, '-p', admin.password, '--api-url', t.baseUrl, '--json'], adminEnv);
    const promoted = await runCli(['users', 'set-role', user.userId, 'admin', '--json'], adminEnv);
    expect(promoted.json).toMatchObject({ id: user.userId, role: 'admin' });

    const whoami = await runCli(['whoami', '--json'], env);
    expect(whoami.code).toBe(0);
    expect(whoami.json).toMatchObject({ user: { id: user.userId, role: 'admin' } });
    const after = JSON.parse(readFileSync(file, 'utf8')).profiles.default;
    expect(after.token).not.toBe(before.token);
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(after.role).toBe('admin');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    // Signed out everywhere: the profile is cleared and the old pair is dead.
    const out = await runCli(['logout', '--everywhere', '--json'], env);
    expect(out.json).toEqual({ profile: 'default', loggedOut: true, revokedOnServer: true });
    const reuse = await runCli(['whoami', '--json'], { ...env, TIKETI_TOKEN: after.token });
    expect(reuse.json).toMatchObject({ code: 'INVALID_TOKEN', exitCode: 3 });
  });

  it('lists users by email and role, and refuses to demote the last admin of a fresh database', async () => {
    const env = { XDG_CONFIG_HOME: tempConfigHome() };
    await runCli(['login', '-e', admin.email, '-p', admin.password, '--api-url', t.baseUrl, '--json'], env);
    const user = await registerUser(t.app);
    const listed = await runCli(['users', 'list', '--email', user.email.toUpperCase(), '--json'], env);
    expect(listed.code).toBe(0);
    expect((listed.json as { data: { id: string }[] }).data.map((u) => u.id)).toEqual([user.userId]);
    const admins = (await runCli(['users', 'list', '--role', 'admin', '--all', '--json'], env)).json as { data: { role: string }[] };
    expect(admins.data.length).toBeGreaterThan(0);
    expect(admins.data.every((u) => u.role === 'admin')).toBe(true);
    const human = await runCli(['users', 'list', '--email', user.email], env);
    expect(human.stdout).toContain(user.email);

    const fresh = await createTestApp({ listen: true, state: 'memory' });
    try {
      const only = await createAdmin(fresh);
      const freshEnv = { XDG_CONFIG_HOME: tempConfigHome() };
      await runCli(['login', '-e', only.email, '-p', only.password, '--api-url', fresh.baseUrl, '--json'], freshEnv);
      const refused = await runCli(['users', 'set-role', only.userId, 'user', '--json'], freshEnv);
      expect(refused.json).toMatchObject({ code: 'LAST_ADMIN', exitCode: 6 });
    } finally {
      await fresh.close();
    }
  });
});
