import { createHmac, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

const ISSUER = 'tiketi';
/** Its own audience: an admission is never taken for a user token, nor the other way round. */
const AUDIENCE = 'tiketi:queue-admission';

export interface AdmissionClaims {
  userId: string;
  eventId: string;
  /** Exactly the store's expiry of this admission (ms), which tells it apart from an earlier one. */
  expiresAtMs: number;
}

/**
 * Admission tokens (header X-Queue-Token): HS256 JWTs bound to a user and an event, signed with a
 * key derived from JWT_SECRET (HMAC with a fixed label), so they share no key with user tokens.
 */
export function createAdmissionTokens(jwtSecret: string | undefined) {
  // Without JWT_SECRET (tools that build the app directly) a random per-process key, as for user tokens.
  const derived = createHmac('sha256', jwtSecret ?? randomBytes(48))
    .update('tiketi queue admission v1')
    .digest();
  // Imported once: with raw bytes jose imports the key again on every sign and verify.
  const key = globalThis.crypto.subtle.importKey('raw', derived, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);

  return {
    async sign(claims: AdmissionClaims): Promise<string> {
      return new SignJWT({ eid: claims.eventId, aexp: claims.expiresAtMs })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(claims.userId)
        .setExpirationTime(Math.ceil(claims.expiresAtMs / 1000))
        .sign(await key);
    },
    /** The claims of a valid, unexpired token; throws otherwise. */
    async verify(token: string): Promise<AdmissionClaims> {
      const { payload } = await jwtVerify(token, await key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || typeof payload.eid !== 'string' || typeof payload.aexp !== 'number') {
        throw new Error('admission token without its claims');
      }
      return { userId: payload.sub, eventId: payload.eid, expiresAtMs: payload.aexp };
    },
  };
}

export type AdmissionTokens = ReturnType<typeof createAdmissionTokens>;
