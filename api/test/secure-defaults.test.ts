// Secure by default (issue 16): production refuses to start unsafe, development never signs with a
// public secret, and what production exposes (/metrics, /docs) is closed unless asked for.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createTestApp, createTestDatabase, registerUser } from '../../test/harness/app.js';
import { startServerProcess } from '../../test/harness/server-process.js';
import { loadConfig, unsafeConfiguration } from '../src/config.js';
import { DEV_ADMIN } from '../src/startup.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GOOD_SECRET = 'x9F2kLq8Zr4Tn7Vb1Wc6Yd3Hs5Jm0Pa8Ge2Uf7Qo';

/** Runs api/src/server.ts until it exits on its own; its exit code and output lines. */
function runUntilExit(env: Record<string, string | undefined>): Promise<{ code: number | null; lines: string[] }> {
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, PORT: '0', REALTIME_PORT: '0', HOST: '127.0.0.1', ...env })) {
    if (v !== undefined) childEnv[k] = v;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/src/server.ts'], {
    cwd: ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, lines: out.split('\n').filter(Boolean) })));
}

describe('production refuses to start unsafe', { timeout: 120_000 }, () => {
  const base = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgres://tiketi:pw@127.0.0.1:1/tiketi',
    JWT_SECRET: GOOD_SECRET,
    REDIS_URL: undefined,
  };
  const cases: Array<[string, Record<string, string | undefined>, string]> = [
    ['no JWT_SECRET', { JWT_SECRET: undefined }, 'JWT_SECRET'],
    ['the Kubernetes placeholder', { JWT_SECRET: 'CHANGE_ME_TO_32_OR_MORE_RANDOM_CHARACTERS' }, 'JWT_SECRET'],
    ['the old built-in secret', { JWT_SECRET: 'tiketi-development-secret-change-me' }, 'JWT_SECRET'],
    ['a 20-character secret', { JWT_SECRET: 'k3Jd9QpL2xZ7vB4nR8tY' }, 'JWT_SECRET'],
    ['a secret of one repeated character', { JWT_SECRET: 'a'.repeat(40) }, 'JWT_SECRET'],
    ['no DATABASE_URL', { DATABASE_URL: undefined }, 'DATABASE_URL'],
    ['the placeholder database password', { DATABASE_URL: 'postgres://tiketi:CHANGE_ME@postgres:5432/tiketi' }, 'DATABASE_URL'],
  ];

  it.each(cases)('finds %s unsafe, naming the variable', (_name, env, variable) => {
    const problems = unsafeConfiguration(loadConfig({ ...base, ...env }));
    expect(problems).toEqual([expect.stringMatching(new RegExp(`^${variable}\\b`))]);
    if (env.JWT_SECRET) expect(problems[0]).not.toContain(env.JWT_SECRET);
  });

  it('finds a production configuration with its own secret and a database safe', () => {
    expect(unsafeConfiguration(loadConfig(base))).toEqual([]);
    expect(unsafeConfiguration(loadConfig({ NODE_ENV: 'development' }))).toEqual([]);
  });

  it('npm start stops with one line naming the variable and a non-zero exit (no secret, placeholder, no database; the old secret in development)', async () => {
    const runs = await Promise.all([
      runUntilExit({ ...base, JWT_SECRET: undefined }),
      runUntilExit({ ...base, JWT_SECRET: 'CHANGE_ME_TO_32_OR_MORE_RANDOM_CHARACTERS' }),
      runUntilExit({ ...base, DATABASE_URL: undefined }),
      runUntilExit({ NODE_ENV: 'development', JWT_SECRET: 'tiketi-development-secret-change-me' }),
    ]);
    const expected = [
      'JWT_SECRET is required',
      'JWT_SECRET is a public default',
      'DATABASE_URL is required',
      'JWT_SECRET is a public default',
    ];
    runs.forEach(({ code, lines }, i) => {
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      expect(lines).toEqual([expect.stringContaining(`Refusing to start: ${expected[i]}`)]);
      expect(lines[0]).not.toContain('CHANGE_ME_TO_32');
    });
  });

  it('starts with its own secret and a database; no development admin, /metrics not served', async () => {
    const server = await startServerProcess({
      ...base,
      DATABASE_URL: await createTestDatabase(),
      TIKETI_SEED: 'none',
      TIKETI_ADMIN_EMAIL: undefined,
    });
    try {
      const login = await fetch(`${server.baseUrl}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(DEV_ADMIN),
      });
      expect(login.status).toBe(401);
      expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(404);
      expect(server.lines.join('\n')).not.toContain(GOOD_SECRET);
    } finally {
      await server.stop();
    }
  });
});

describe('development without JWT_SECRET', { timeout: 120_000 }, () => {
  it('signs with a random secret kept 0600 in TIKETI_DATA_DIR (tokens survive a restart); the old default gets 401', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'tiketi-secret-'));
    const env = {
      NODE_ENV: 'development',
      JWT_SECRET: undefined,
      DATABASE_URL: await createTestDatabase(),
      TIKETI_DATA_DIR: dataDir,
      TIKETI_SEED: 'none',
    };
    try {
      let server = await startServerProcess(env);
      let token: string;
      let userId: string;
      try {
        const file = path.join(dataDir, 'jwt-secret');
        expect(statSync(file).mode & 0o777).toBe(0o600);
        expect(readFileSync(file, 'utf8').trim().length).toBeGreaterThanOrEqual(32);
        const res = await fetch(`${server.baseUrl}/v1/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: 'dev@example.com', password: 'long enough pw', name: 'Dev' }),
        });
        ({
          token,
          user: { id: userId },
        } = (await res.json()) as { token: string; user: { id: string } });
        const forged = await new SignJWT({ email: 'dev@example.com', role: 'admin', tv: 0 })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuer('tiketi')
          .setAudience('tiketi-api')
          .setSubject(userId)
          .setIssuedAt()
          .setExpirationTime('10m')
          .sign(new TextEncoder().encode('tiketi-development-secret-change-me'));
        const me = await fetch(`${server.baseUrl}/v1/auth/me`, { headers: { authorization: `Bearer ${forged}` } });
        expect(me.status).toBe(401);
      } finally {
        await server.stop();
      }
      server = await startServerProcess(env);
      try {
        const me = await fetch(`${server.baseUrl}/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
        expect(me.status).toBe(200);
        expect(((await me.json()) as { id: string }).id).toBe(userId);
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('production exposure', () => {
  it('serves /metrics in production only with METRICS_TOKEN, and always in development', async () => {
    const prod = await createTestApp({ state: 'memory', config: { NODE_ENV: 'production' } });
    const guarded = await createTestApp({ state: 'memory', config: { NODE_ENV: 'production', METRICS_TOKEN: 'metrics-token-0123456789' } });
    const dev = await createTestApp({ state: 'memory' });
    try {
      expect((await prod.app.inject('/metrics')).statusCode).toBe(404);
      expect((await prod.app.inject({ url: '/metrics', headers: { authorization: 'Bearer metrics-token-0123456789' } })).statusCode).toBe(
        404,
      );
      const anonymous = await guarded.app.inject('/metrics');
      expect([anonymous.statusCode, anonymous.json().code]).toEqual([401, 'AUTHENTICATION_REQUIRED']);
      expect((await guarded.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong-token-0123456789x' } })).statusCode).toBe(
        401,
      );
      const ok = await guarded.app.inject({ url: '/metrics', headers: { authorization: 'Bearer metrics-token-0123456789' } });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain('http_requests_total');
      expect((await dev.app.inject('/metrics')).statusCode).toBe(200);
      // The rest of the API is unaffected.
      expect((await prod.app.inject('/health')).statusCode).toBe(200);
      await registerUser(prod.app);
    } finally {
      await Promise.all([prod.close(), guarded.close(), dev.close()]);
    }
  });

  it('serves /docs without "Try it out" in production unless DOCS_TRY_IT_OUT=true', async () => {
    const initializer = async (config: Parameters<typeof createTestApp>[0]) => {
      const t = await createTestApp({ state: 'memory', ...config });
      try {
        const res = await t.app.inject('/docs/static/swagger-initializer.js');
        expect(res.statusCode).toBe(200);
        return res.body;
      } finally {
        await t.close();
      }
    };
    const prod = await initializer({ config: { NODE_ENV: 'production' } });
    expect(prod).toContain('"supportedSubmitMethods":[]');
    expect(prod).toContain('"tryItOutEnabled":false');
    const enabled = await initializer({ config: { NODE_ENV: 'production', DOCS_TRY_IT_OUT: true } });
    expect(enabled).not.toContain('supportedSubmitMethods');
    expect(enabled).toContain('"tryItOutEnabled":true');
    expect(await initializer({})).toContain('"tryItOutEnabled":true');
  });
});
