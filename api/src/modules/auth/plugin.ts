import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';
import type { AuthService, Principal } from './service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hooks; null for anonymous calls. */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** onRequest hooks that routes list in their options: `onRequest: app.auth.user`. */
    auth: {
      /** Any signed-in user or API key. */
      user: onRequestHookHandler;
      /** Admins only (JWT with role admin, or an admin API key). */
      admin: onRequestHookHandler;
      /** Reads a credential when present; anonymous is fine. */
      optional: onRequestHookHandler;
    };
  }
}

/** Reads the bearer credential, if any. */
function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new AppError('AUTHENTICATION_REQUIRED', 'Use Authorization: Bearer <token>');
  return match[1];
}

/** The authentication hooks every module uses; exposed app-wide, the service itself stays here. */
export const authPlugin = fp(
  async (app: FastifyInstance, opts: { service: AuthService }) => {
    app.decorateRequest('principal', null);

    const resolve = async (request: FastifyRequest, required: boolean) => {
      const bearer = bearerOf(request);
      if (!bearer) {
        if (required) throw new AppError('AUTHENTICATION_REQUIRED');
        return;
      }
      request.principal = await opts.service.authenticate(bearer);
      request.log = request.log.child({ userId: request.principal.userId });
    };

    app.decorate('auth', {
      user: async (request) => {
        await resolve(request, true);
      },
      admin: async (request) => {
        await resolve(request, true);
        if (request.principal!.role !== 'admin') throw new AppError('FORBIDDEN', 'This route is for admins');
      },
      optional: async (request) => {
        await resolve(request, false);
      },
    });
  },
  { name: 'auth' },
);
