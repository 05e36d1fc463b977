import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { LRUCache } from 'lru-cache';
import { TokenError, createVerifier } from 'fast-jwt';
import { SignJWT, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { isPublicSecret, type Config } from '../../config.js';
import { withTransaction, type Db } from '../../infra/db.js';
import { AppError } from '../../errors.js';
import { authRepository as repo, type ApiKeyRow, type Scope, type UserAuthority, type UserRow } from './repository.js';

export type Role = 'user' | 'admin';
export type { Scope } from './repository.js';

/** Who is calling: a user with a JWT, or an admin API key acting for the admin who created it. */
export interface Principal {
  userId: string;
  email: string;
  /** The role in the database now, not the one the token was signed with. */
  role: Role;
  via: 'jwt' | 'api_key';
  apiKeyId?: string;
  /** What an API key may do; absent for a JWT. */
  scopes?: Scope[];
}

/** Claims of a verified access token, with the role and email as the database has them now. */
export type AccessClaims = JWTPayload & { sub: string; email: string; role: Role; tv: number; iat: number; exp: number };

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
  scopes: k.scopes,
  createdAt: k.created_at.toISOString(),
  lastUsedAt: k.last_used_at?.toISOString() ?? null,
  revokedAt: k.revoked_at?.toISOString() ?? null,
});

const ISSUER = 'tiketi';
const AUDIENCE = 'tiketi-api';
export const API_KEY_PREFIX = 'tk_';
export const REFRESH_TOKEN_PREFIX = 'rt_';
/** How far in the future `iat` may be, for clocks a little ahead of ours. */
const IAT_SKEW_SECONDS = 30;
/** Google's keys must answer within this (the route then answers 503 well inside 2 s). */
const GOOGLE_JWKS_TIMEOUT_MS = 1500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const sha256 = (s: string) => createHash('sha256').update(s).digest();
const DURATION_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
/** Seconds in a config duration such as `15m` (the config schema guarantees the shape). */
export const durationSeconds = (d: string) => Number.parseInt(d, 10) * DURATION_SECONDS[d.trim().slice(-1)]!;

export function createAuthService(config: Config, db: Db) {
  // Imported once as a CryptoKey: given raw bytes, jose imports the key on every sign and verify,
  // which doubled the cost of a verification (~210 → ~105 µs measured, bench:holds profile).
  // Without JWT_SECRET (tests, tools that build the app directly) a random per-process secret;
  // server.ts passes the persisted development secret. A public value never signs anything.
  const secretText = config.JWT_SECRET ?? randomBytes(48).toString('base64url');
  if (isPublicSecret(secretText)) throw new Error('JWT_SECRET is a public default or placeholder; set 32 or more random characters');
  const secret = globalThis.crypto.subtle.importKey('raw', new TextEncoder().encode(secretText), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
  // Access tokens are checked with fast-jwt (node:crypto's HMAC, synchronous): jose's WebCrypto
  // verification was the largest single cost of a queue join by a user new to this instance
  // (bench:queue profile): 150–180 µs of CPU per token against fast-jwt's 25–35 µs, measured side by
  // side on 10,000 tokens each (load average 12). jose still signs them, and checks Google's ID
  // tokens (RS256 against remote keys).
  const verifyAccessToken = createVerifier({
    key: Buffer.from(secretText, 'utf8'),
    algorithms: ['HS256'],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    // fast-jwt checks allowedIss/allowedAud only when the claim is present: require them.
    requiredClaims: ['exp', 'iat', 'sub', 'iss', 'aud'],
    cache: false, // `verified` below is the cache
  }) as (token: string) => JWTPayload;
  const googleJwks = createRemoteJWKSet(new URL(config.GOOGLE_JWKS_URL), { timeoutDuration: GOOGLE_JWKS_TIMEOUT_MS });
  const refreshTtlSeconds = durationSeconds(config.JWT_REFRESH_EXPIRES_IN);
  const googleAudiences = (config.GOOGLE_CLIENT_ID ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // Compared against when the email is unknown, so a wrong email costs as long as a wrong password.
  // Made on first need, not at construction: hashing costs tens of milliseconds of start-up.
  let dummyHash: Promise<string> | undefined;

  async function issueToken(user: Pick<UserRow, 'id' | 'email' | 'role'> & { token_version?: number }): Promise<string> {
    return new SignJWT({ email: user.email, role: user.role, tv: user.token_version ?? 0 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(config.JWT_EXPIRES_IN)
      .sign(await secret);
  }

  // Verified signatures, until the token expires: a signature does not change, and WebCrypto HMAC
  // was a third of the API's CPU per request under load (bench:holds). The live part (account,
  // role, token version) is checked on every request below, against `authority`.
  const verified = new LRUCache<string, AccessClaims>({ max: 50_000 });

  // Role and token version per user, for AUTH_CACHE_TTL_MS (default 10 s): a demotion or a
  // sign-out-everywhere made on another instance counts within that; on this instance at once
  // (`forget`). One query per user per TTL instead of one per request.
  const authority = new LRUCache<string, UserAuthority>({ max: 100_000, ttl: Math.max(config.AUTH_CACHE_TTL_MS, 1) });
  // Bumped by every `forget`: a read that started before a change must not put the old value back.
  let generation = 0;
  // Misses are read together: the users asked for within one turn of the event loop share one
  // query (and one user asked for twice shares the read). On-sale day is a burst of users new to
  // this instance; one query per user was ~40 % of the API's CPU per queue join (bench:queue).
  let batch: { ids: Set<string>; found: Promise<Map<string, UserAuthority>> } | undefined;
  function readAuthority(userId: string): Promise<UserAuthority | undefined> {
    if (!batch) {
      const ids = new Set<string>();
      const found = new Promise<Map<string, UserAuthority>>((resolve, reject) =>
        setImmediate(() => {
          batch = undefined;
          repo.findAuthorities(db, [...ids]).then(resolve, reject);
        }),
      );
      batch = { ids, found };
    }
    batch.ids.add(userId);
    return batch.found.then((found) => found.get(userId));
  }
  async function authorityOf(userId: string): Promise<UserAuthority | undefined> {
    if (config.AUTH_CACHE_TTL_MS === 0) return repo.findAuthority(db, userId);
    const hit = authority.get(userId);
    if (hit) return hit;
    const startedAt = generation;
    const live = await readAuthority(userId);
    if (live && startedAt === generation) authority.set(userId, live);
    return live;
  }
  const forget = (userId: string) => {
    generation++;
    authority.delete(userId);
  };

  /** Checks the signature and the claims; no database. */
  async function verifySignature(token: string): Promise<AccessClaims> {
    const hit = verified.get(token);
    if (hit && hit.exp * 1000 > Date.now()) return hit;
    let payload: JWTPayload;
    try {
      payload = verifyAccessToken(token);
    } catch (err) {
      const expired = err instanceof TokenError && err.code === TokenError.codes.expired;
      throw new AppError('INVALID_TOKEN', expired ? 'The token has expired' : 'The token signature or claims are invalid');
    }
    if (typeof payload.sub !== 'string' || !UUID.test(payload.sub))
      throw new AppError('INVALID_TOKEN', 'The token subject is not a user id');
    if (payload.iat! > Math.floor(Date.now() / 1000) + IAT_SKEW_SECONDS)
      throw new AppError('INVALID_TOKEN', 'The token is issued in the future');
    if (!Number.isSafeInteger(payload.tv)) throw new AppError('INVALID_TOKEN', 'The token has no version; sign in again');
    const claims = payload as AccessClaims;
    verified.set(token, claims);
    return claims;
  }

  /** A valid access token of an existing account, not revoked; role and email as they are now. */
  async function verifyToken(token: string): Promise<AccessClaims> {
    const claims = await verifySignature(token);
    const live = await authorityOf(claims.sub);
    if (!live) throw new AppError('INVALID_TOKEN', 'The account no longer exists');
    if (live.token_version !== claims.tv) throw new AppError('INVALID_TOKEN', 'The token was revoked; refresh it or sign in again');
    return { ...claims, role: live.role, email: live.email };
  }

  /** An access token and a new refresh token (a new family) for a user who just signed in. */
  async function session(user: UserRow, familyId?: string) {
    // A new sign-in (not a refresh) tidies the user's dead refresh tokens.
    if (!familyId) await repo.pruneRefreshTokens(db, user.id);
    const refreshToken = REFRESH_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    await repo.insertRefreshToken(db, {
      userId: user.id,
      familyId: familyId ?? randomUUID(),
      tokenHash: sha256(refreshToken),
      ttlSeconds: refreshTtlSeconds,
    });
    const token = await issueToken(user);
    // The row was just read: the first request with this token needs no lookup. (A role change
    // racing this sign-in is at worst seen AUTH_CACHE_TTL_MS late, as on any other instance.)
    if (config.AUTH_CACHE_TTL_MS > 0) authority.set(user.id, { email: user.email, role: user.role, token_version: user.token_version });
    const expiresAt = new Date((Math.floor(Date.now() / 1000) + durationSeconds(config.JWT_EXPIRES_IN)) * 1000).toISOString();
    return { user: toPublicUser(user), token, expiresAt, refreshToken };
  }

  return {
    issueToken,
    verifyToken,
    /** Drops this instance's cached role and token version of a user (after changing them). */
    forget,

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
      if (googleAudiences.length === 0) throw new AppError('GOOGLE_LOGIN_DISABLED', 'Google login is not enabled on this server');
      let claims: JWTPayload & { email?: string; email_verified?: boolean; name?: string };
      try {
        ({ payload: claims } = await jwtVerify(idToken, googleJwks, {
          issuer: config.GOOGLE_ISSUERS.split(',').map((s) => s.trim()),
          audience: googleAudiences,
          algorithms: ['RS256'],
        }));
      } catch (err) {
        // Google's keys unreachable, slow or garbled is an outage (503), not a bad token. jose
        // throws its base JOSEError for a non-200 or unparsable key set, and no JOSEError for a
        // network failure.
        const outage =
          err instanceof joseErrors.JWKSTimeout ||
          !(err instanceof joseErrors.JOSEError) ||
          (err.constructor === joseErrors.JOSEError && err.code === 'ERR_JOSE_GENERIC');
        if (outage)
          throw new AppError('SERVICE_UNAVAILABLE', "Google's signing keys could not be fetched; retry shortly", { retryAfterSeconds: 5 });
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
        // A key acts for its creator only while the creator is an admin.
        if (found.role !== 'admin') throw new AppError('INVALID_API_KEY', 'The admin who created this key is no longer an admin');
        return {
          userId: found.user_id,
          email: found.email,
          role: found.role,
          via: 'api_key',
          apiKeyId: found.key_id,
          scopes: found.scopes,
        };
      }
      const claims = await verifyToken(bearer);
      return { userId: claims.sub, email: claims.email, role: claims.role, via: 'jwt' };
    },

    /** Trades a refresh token for a new access token and the next refresh token (single use). */
    async refresh(refreshToken: string) {
      const hash = sha256(refreshToken);
      const used = await repo.useRefreshToken(db, hash);
      if (!used) {
        // Presented again after use: it leaked or was replayed, so its whole family goes.
        await repo.revokeRefreshFamily(db, hash);
        throw new AppError('INVALID_REFRESH_TOKEN');
      }
      const user = await repo.findUserById(db, used.user_id);
      if (!user) throw new AppError('INVALID_REFRESH_TOKEN', 'The account no longer exists');
      return session(user, used.family_id);
    },

    /** Revokes one sign-in (the refresh token's family); unknown tokens are fine. */
    async logout(refreshToken: string) {
      await repo.revokeRefreshFamily(db, sha256(refreshToken));
    },

    /** Signs a user out everywhere: access tokens and refresh tokens stop working. */
    async logoutAll(userId: string) {
      await repo.revokeAllSessions(db, userId);
      forget(userId);
    },

    async createApiKey(createdBy: string, input: { name: string; scopes: Scope[] }) {
      const secretKey = API_KEY_PREFIX + randomBytes(32).toString('base64url');
      const row = await repo.insertApiKey(db, {
        name: input.name,
        prefix: secretKey.slice(0, 10),
        secretHash: sha256(secretKey),
        createdBy,
        scopes: [...new Set(input.scopes)],
      });
      return { ...toPublicApiKey(row), secret: secretKey };
    },

    listApiKeys: (limit: number, after: string[] | null) => repo.listApiKeys(db, limit, after),

    async revokeApiKey(id: string) {
      const row = await repo.revokeApiKey(db, id);
      if (!row) throw new AppError('API_KEY_NOT_FOUND');
      return toPublicApiKey(row);
    },

    listUsers: (filter: { email?: string; role?: Role }, limit: number, after: string[] | null) => repo.listUsers(db, filter, limit, after),

    /**
     * Sets a user's role. A change bumps their token version (their access tokens die; a refresh
     * brings the new role) and a demotion revokes the API keys they created. The last admin cannot
     * be demoted, by themselves or anyone: admin rows are locked, so two admins demoting each
     * other at once cannot both succeed.
     */
    async setRole(userId: string, role: Role) {
      const result = await withTransaction(db, async (tx) => {
        const admins = role === 'user' ? await repo.lockAdmins(tx) : [];
        if (role === 'user' && admins.length === 1 && admins[0] === userId) {
          throw new AppError('LAST_ADMIN', 'This is the only admin; promote another user first');
        }
        const updated = await repo.setRole(tx, userId, role);
        if (!updated) throw new AppError('USER_NOT_FOUND');
        if (updated.changed && role === 'user') await repo.revokeKeysCreatedBy(tx, userId);
        return updated;
      });
      forget(userId);
      return toPublicUser(result.user);
    },

    /**
     * Makes sure the configured admin exists, is an admin, and has the configured password. A
     * changed password (the old one leaked, say) ends every session of the account, as a password
     * change should; an unchanged one keeps them, so restarts sign nobody out.
     */
    async ensureAdmin(email: string, password: string): Promise<{ user: UserRow; promoted: boolean; passwordChanged: boolean }> {
      const passwordHash = await argon2Hash(password);
      const created = await repo.insertUser(db, { email, passwordHash, name: 'Administrator', role: 'admin' });
      if (created) return { user: created, promoted: false, passwordChanged: false };
      const existing = (await repo.findUserByEmail(db, email))!;
      const same = existing.password_hash ? await argon2Verify(existing.password_hash, password).catch(() => false) : false;
      const promoted = existing.role !== 'admin';
      if (!same || promoted) {
        await withTransaction(db, async (tx) => {
          await repo.setAdminPassword(tx, existing.id, same ? existing.password_hash! : passwordHash);
          if (!same) await repo.revokeAllSessions(tx, existing.id);
        });
      }
      forget(existing.id);
      return { user: existing, promoted, passwordChanged: !same };
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
