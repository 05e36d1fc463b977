import { createHash, randomBytes } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { LRUCache } from 'lru-cache';
import { SignJWT, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from '../../config.js';
import type { Db } from '../../infra/db.js';
import { AppError } from '../../errors.js';
import { authRepository as repo, type ApiKeyRow, type UserRow } from './repository.js';

export type Role = 'user' | 'admin';

/** Who is calling: a user with a JWT, or an admin API key acting for the admin who created it. */
export interface Principal {
  userId: string;
  email: string;
  role: Role;
  via: 'jwt' | 'api_key';
  apiKeyId?: string;
}

export interface PublicUser {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  role: Role;
  createdAt: string;
}

export const toPublicUser = (u: UserRow): PublicUser => ({
  id: u.id,
  email: u.email,
  name: u.name,
  phone: u.phone,
  role: u.role,
  createdAt: u.created_at.toISOString(),
});

export const toPublicApiKey = (k: ApiKeyRow) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdBy: k.created_by,
  createdAt: k.created_at.toISOString(),
  lastUsedAt: k.last_used_at?.toISOString() ?? null,
  revokedAt: k.revoked_at?.toISOString() ?? null,
});

const ISSUER = 'tiketi';
const AUDIENCE = 'tiketi-api';
export const API_KEY_PREFIX = 'tk_';
const sha256 = (s: string) => createHash('sha256').update(s).digest();

export function createAuthService(config: Config, db: Db) {
  // Imported once as a CryptoKey: given raw bytes, jose imports the key on every sign and verify,
  // which doubled the cost of a verification (~210 → ~105 µs measured, bench:holds profile).
  const secret = globalThis.crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(config.JWT_SECRET),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
  const googleJwks = createRemoteJWKSet(new URL(config.GOOGLE_JWKS_URL));
  const googleAudiences = (config.GOOGLE_CLIENT_ID ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // Compared against when the email is unknown, so a wrong email costs as long as a wrong password.
  // Made on first need, not at construction: hashing costs tens of milliseconds of start-up.
  let dummyHash: Promise<string> | undefined;

  async function issueToken(user: Pick<UserRow, 'id' | 'email' | 'role'>): Promise<string> {
    return new SignJWT({ email: user.email, role: user.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(config.JWT_EXPIRES_IN)
      .sign(await secret);
  }

  // Verified tokens, until they expire: a JWT is stateless, so a cached verdict is the same verdict,
  // and WebCrypto HMAC was a third of the API's CPU per request under load (bench:holds).
  const verified = new LRUCache<string, JWTPayload & { sub: string; email: string; role: Role }>({ max: 50_000 });

  async function verifyToken(token: string): Promise<JWTPayload & { sub: string; email: string; role: Role }> {
    const hit = verified.get(token);
    if (hit && hit.exp !== undefined && hit.exp * 1000 > Date.now()) return hit;
    try {
      const { payload } = await jwtVerify(token, await secret, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || (payload.role !== 'user' && payload.role !== 'admin')) {
        throw new AppError('INVALID_TOKEN', 'The token lacks a subject or role');
      }
      const claims = payload as JWTPayload & { sub: string; email: string; role: Role };
      if (claims.exp !== undefined) verified.set(token, claims);
      return claims;
    } catch (err) {
      if (err instanceof AppError) throw err;
      const expired = err instanceof joseErrors.JWTExpired;
      throw new AppError('INVALID_TOKEN', expired ? 'The token has expired' : 'The token signature or claims are invalid');
    }
  }

  async function session(user: UserRow) {
    return { user: toPublicUser(user), token: await issueToken(user) };
  }

  return {
    issueToken,
    verifyToken,

    async register(input: { email: string; password: string; name: string; phone?: string }) {
      const passwordHash = await argon2Hash(input.password);
      const user = await repo.insertUser(db, { email: input.email, passwordHash, name: input.name, phone: input.phone });
      if (!user) throw new AppError('EMAIL_TAKEN', `An account for ${input.email} already exists`);
      return session(user);
    },

    async login(input: { email: string; password: string }) {
      const user = await repo.findUserByEmail(db, input.email);
      const ok = await argon2Verify(
        user?.password_hash ?? (await (dummyHash ??= argon2Hash('not-a-real-password-0000'))),
        input.password,
      ).catch(() => false);
      if (!user || !user.password_hash || !ok) throw new AppError('INVALID_CREDENTIALS');
      return session(user);
    },

    async loginWithGoogle(idToken: string) {
      if (googleAudiences.length === 0) throw new AppError('GOOGLE_LOGIN_DISABLED', 'Set GOOGLE_CLIENT_ID to enable Google login');
      let claims: JWTPayload & { email?: string; email_verified?: boolean; name?: string };
      try {
        ({ payload: claims } = await jwtVerify(idToken, googleJwks, {
          issuer: config.GOOGLE_ISSUERS.split(',').map((s) => s.trim()),
          audience: googleAudiences,
          algorithms: ['RS256'],
        }));
      } catch {
        throw new AppError('INVALID_GOOGLE_TOKEN', "The ID token could not be verified against Google's keys");
      }
      if (!claims.sub || !claims.email || claims.email_verified !== true) {
        throw new AppError('INVALID_GOOGLE_TOKEN', 'The ID token has no verified email');
      }
      let user = await repo.findUserByGoogleSub(db, claims.sub);
      if (!user) {
        const byEmail = await repo.findUserByEmail(db, claims.email);
        user = byEmail
          ? await repo.linkGoogle(db, byEmail.id, claims.sub)
          : await repo.insertUser(db, {
              email: claims.email,
              passwordHash: null,
              name: claims.name?.slice(0, 100) || claims.email.split('@')[0]!,
              googleSub: claims.sub,
            });
        // A concurrent first login may have inserted the same email: read it back.
        user ??= await repo.findUserByEmail(db, claims.email);
      }
      return session(user!);
    },

    async me(userId: string) {
      const user = await repo.findUserById(db, userId);
      if (!user) throw new AppError('INVALID_TOKEN', 'The account no longer exists');
      return toPublicUser(user);
    },

    /** Turns a bearer credential (JWT or `tk_` API key) into a principal, or throws. */
    async authenticate(bearer: string): Promise<Principal> {
      if (bearer.startsWith(API_KEY_PREFIX)) {
        const found = await repo.findActiveApiKey(db, sha256(bearer));
        if (!found) throw new AppError('INVALID_API_KEY');
        return { userId: found.user_id, email: found.email, role: found.role, via: 'api_key', apiKeyId: found.key_id };
      }
      const claims = await verifyToken(bearer);
      return { userId: claims.sub, email: claims.email, role: claims.role, via: 'jwt' };
    },

    async createApiKey(createdBy: string, name: string) {
      const secretKey = API_KEY_PREFIX + randomBytes(32).toString('base64url');
      const row = await repo.insertApiKey(db, { name, prefix: secretKey.slice(0, 10), secretHash: sha256(secretKey), createdBy });
      return { ...toPublicApiKey(row), secret: secretKey };
    },

    listApiKeys: (limit: number, after: string[] | null) => repo.listApiKeys(db, limit, after),

    async revokeApiKey(id: string) {
      const row = await repo.revokeApiKey(db, id);
      if (!row) throw new AppError('API_KEY_NOT_FOUND');
      return toPublicApiKey(row);
    },

    /** Makes sure the configured admin exists with the configured password. */
    async ensureAdmin(email: string, password: string) {
      const passwordHash = await argon2Hash(password);
      const created = await repo.insertUser(db, { email, passwordHash, name: 'Administrator', role: 'admin' });
      if (created) return created;
      const existing = (await repo.findUserByEmail(db, email))!;
      await repo.setAdminPassword(db, existing.id, passwordHash);
      return existing;
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
