import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';

// A local JWKS stands in for Google's: the API fetches and verifies against it exactly as in production.
let jwks: Server;
let privateKey: CryptoKey;
let t: TestApp;
const CLIENT_ID = 'tiketi-web.apps.example';

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  privateKey = pair.privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/certs`;
  t = await createTestApp({ state: 'memory', config: { GOOGLE_JWKS_URL: url, GOOGLE_CLIENT_ID: CLIENT_ID } });
});
afterAll(async () => {
  await t?.close();
  jwks?.close();
});

function googleToken(claims: Record<string, unknown>, opts: { aud?: string; iss?: string; key?: CryptoKey; expired?: boolean } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .setIssuer(opts.iss ?? 'https://accounts.google.com')
    .setAudience(opts.aud ?? CLIENT_ID)
    .setSubject(String(claims.sub ?? '1000'))
    .setIssuedAt(now - 60)
    .setExpirationTime(opts.expired ? now - 30 : now + 600)
    .sign(opts.key ?? privateKey);
}

const googleLogin = (idToken: string) => t.app.inject({ method: 'POST', url: '/v1/auth/google', payload: { idToken } });

describe('Google ID-token login', () => {
  it('creates the user on first login and signs the same user in afterwards', async () => {
    const idToken = await googleToken({ sub: 'g-1', email: 'jiwoo@gmail.example', email_verified: true, name: 'Jiwoo' });
    const first = await googleLogin(idToken);
    expect(first.statusCode).toBe(200);
    expect(first.json().user).toMatchObject({ email: 'jiwoo@gmail.example', name: 'Jiwoo', role: 'user' });
    const again = await googleLogin(await googleToken({ sub: 'g-1', email: 'jiwoo@gmail.example', email_verified: true }));
    expect(again.json().user.id).toBe(first.json().user.id);
    const me = await t.app.inject({ method: 'GET', url: '/v1/auth/me', headers: { authorization: `Bearer ${again.json().token}` } });
    expect(me.json().email).toBe('jiwoo@gmail.example');
  });

  it('links to an existing password account with the same verified email', async () => {
    const u = await registerUser(t.app);
    const res = await googleLogin(await googleToken({ sub: 'g-2', email: u.email, email_verified: true }));
    expect(res.json().user.id).toBe(u.userId);
  });

  it('refuses a token for another client, from another issuer, expired, signed by another key, or with an unverified email', async () => {
    const other = await generateKeyPair('RS256');
    const bad = [
      await googleToken({ sub: 'g-3', email: 'a@x.example', email_verified: true }, { aud: 'someone-else' }),
      await googleToken({ sub: 'g-3', email: 'a@x.example', email_verified: true }, { iss: 'https://evil.example' }),
      await googleToken({ sub: 'g-3', email: 'a@x.example', email_verified: true }, { expired: true }),
      await googleToken({ sub: 'g-3', email: 'a@x.example', email_verified: true }, { key: other.privateKey }),
      await googleToken({ sub: 'g-3', email: 'a@x.example', email_verified: false }),
    ];
    for (const idToken of bad) {
      const res = await googleLogin(idToken);
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('INVALID_GOOGLE_TOKEN');
    }
    const { rowCount } = await t.db.query(`SELECT 1 FROM auth.users WHERE google_sub = 'g-3'`);
    expect(rowCount).toBe(0);
  });

  it('signs in with no-store caching: the answer carries tokens', async () => {
    const res = await googleLogin(await googleToken({ sub: 'g-4', email: 'cache@gmail.example', email_verified: true }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json().refreshToken).toMatch(/^rt_/);
  });

  it("answers 503 SERVICE_UNAVAILABLE, quickly, when Google's keys cannot be fetched", async () => {
    // One key server that never answers (the timeout path) and one port with nothing listening.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/certs`;
    await new Promise((resolve) => closed.close(resolve));
    try {
      for (const url of [`http://127.0.0.1:${(silent.address() as AddressInfo).port}/certs`, closedUrl]) {
        const down = await createTestApp({ state: 'memory', config: { GOOGLE_JWKS_URL: url, GOOGLE_CLIENT_ID: CLIENT_ID } });
        try {
          const started = Date.now();
          const res = await down.app.inject({
            method: 'POST',
            url: '/v1/auth/google',
            payload: { idToken: await googleToken({ sub: 'g-5', email: 'down@gmail.example', email_verified: true }) },
          });
          expect([url, res.statusCode, res.json().code]).toEqual([url, 503, 'SERVICE_UNAVAILABLE']);
          // jose's default key-fetch timeout is 5 s; ours is 1.5 s (the answer is due within 2 s).
          expect(Date.now() - started).toBeLessThan(4000);
        } finally {
          await down.close();
        }
      }
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('answers GOOGLE_LOGIN_DISABLED (404, not an outage) when no client id is configured', async () => {
    const off = await createTestApp({ state: 'memory' });
    try {
      const res = await off.app.inject({ method: 'POST', url: '/v1/auth/google', payload: { idToken: await googleToken({ sub: 'x' }) } });
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('GOOGLE_LOGIN_DISABLED');
    } finally {
      await off.close();
    }
  });
});
