import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../errors.js';
import type { AuthService, Principal, Scope } from './service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hooks; null for anonymous calls. */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** onRequest hooks that routes list in their options: `onRequest: app.auth.user`. */
    auth: {
      /** Any signed-in user or API key (a key within its scopes). */
      user: onRequestHookHandler;
      /** Admins only: an admin's JWT, or an admin API key within its scopes. */
      admin: onRequestHookHandler;
      /** An admin signed in interactively (JWT): managing API keys and roles; an API key gets 403. */
      adminSession: onRequestHookHandler;
      /** A user signed in interactively (JWT), such as signing out everywhere; an API key gets 403. */
      session: onRequestHookHandler;
      /** Reads a credential when present; anonymous is fine. */
      optional: onRequestHookHandler;
    };
  }
}

/** Who a route is for, as published in the spec (`x-tiketi-role`); the contract test calls every admin route as a user. */
export type RouteRole = 'admin' | 'user';

// Which API key scope a route's writes need, by the route's tag; reads need that scope or
// `read-only`. Routes of other tags (auth, ops) only need a key for reads.
const CATALOG_TAGS = new Set(['events', 'ticket-types', 'seat-layouts', 'news', 'keyword-mappings', 'seats']);
const NEUTRAL_TAGS = new Set(['auth', 'ops']);
const READS = new Set(['GET', 'HEAD']);

/** Whether an API key with `scopes` may call a route with these tags and method. */
export function keyMayCall(scopes: readonly Scope[], method: string, tags: readonly string[] = []): boolean {
  const domain: Scope | undefined = tags.some((t) => CATALOG_TAGS.has(t))
    ? 'catalog'
    : tags.length > 0 && tags.every((t) => NEUTRAL_TAGS.has(t))
      ? undefined
      : 'operations';
  if (READS.has(method)) return domain === undefined || scopes.includes('read-only') || scopes.includes(domain);
  return domain !== undefined && scopes.includes(domain);
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
      const principal = await opts.service.authenticate(bearer);
      request.principal = principal;
      request.log = request.log.child({ userId: principal.userId });
      if (principal.scopes && !keyMayCall(principal.scopes, request.method, request.routeOptions.schema?.tags)) {
        throw new AppError('FORBIDDEN', `This API key's scopes (${principal.scopes.join(', ')}) do not allow this call`);
      }
    };
    const requireAdmin = (request: FastifyRequest) => {
      if (request.principal!.role !== 'admin') throw new AppError('FORBIDDEN', 'This route is for admins');
    };
    const requireSession = (request: FastifyRequest, what: string) => {
      if (request.principal!.via !== 'jwt') throw new AppError('FORBIDDEN', `${what} needs an interactive sign-in, not an API key`);
    };

    const hooks = {
      user: async (request: FastifyRequest) => {
        await resolve(request, true);
      },
      admin: async (request: FastifyRequest) => {
        await resolve(request, true);
        requireAdmin(request);
      },
      adminSession: async (request: FastifyRequest) => {
        await resolve(request, true);
        requireAdmin(request);
        requireSession(request, 'This route');
      },
      session: async (request: FastifyRequest) => {
        await resolve(request, true);
        requireSession(request, 'This route');
      },
      optional: async (request: FastifyRequest) => {
        await resolve(request, false);
      },
    };
    app.decorate('auth', hooks);

    // Publishes who each route is for, from the hook it declares, as `x-tiketi-role` in the spec.
    // The contract test then calls every admin route as a user and anonymously.
    const roleOf = new Map<unknown, RouteRole>([
      [hooks.admin, 'admin'],
      [hooks.adminSession, 'admin'],
      [hooks.user, 'user'],
      [hooks.session, 'user'],
    ]);
    app.addHook('onRoute', (route) => {
      const onRequest = [route.onRequest ?? []].flat();
      const roles = onRequest.map((h) => roleOf.get(h)).filter((r): r is RouteRole => r !== undefined);
      if (roles.length === 0) return;
      route.schema ??= {};
      (route.schema as Record<string, unknown>)['x-tiketi-role'] = roles.includes('admin') ? 'admin' : 'user';
    });
  },
  { name: 'auth' },
);
