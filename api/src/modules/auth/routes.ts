import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors.js';
import { pageOf } from '../../pagination.js';
import { ADMIN_PROBLEMS, AUTH_PROBLEMS, ListQuery, Page, StrictObject, Uuid, problems } from '../../schemas.js';
import { API_KEY_PAGES, USER_PAGES } from './repository.js';
import {
  ApiKey,
  CreateApiKeyBody,
  CreatedApiKey,
  GoogleBody,
  LoginBody,
  RefreshBody,
  RegisterBody,
  Session,
  UpdateUserBody,
  User,
  UserListQuery,
  VerifyBody,
  VerifyResult,
} from './schemas.js';
import { toPublicApiKey, toPublicUser, type AuthService } from './service.js';

/** Answers that carry a token or a secret are never stored by a cache or a proxy. */
const noStore = <R extends FastifyReply>(reply: R): R => {
  reply.header('cache-control', 'no-store');
  return reply;
};

export const authRoutes: FastifyPluginAsyncTypebox<{ service: AuthService }> = async (app, { service }) => {
  app.addSchema(User);
  app.addSchema(Session);
  app.addSchema(ApiKey);
  app.addSchema(CreatedApiKey);
  const SessionRef = Type.Ref('Session');

  app.post(
    '/auth/register',
    {
      schema: {
        operationId: 'register',
        tags: ['auth'],
        summary: 'Create a user account and sign in',
        body: RegisterBody,
        response: { 201: SessionRef, ...problems('EMAIL_TAKEN') },
      },
    },
    async (request, reply) =>
      noStore(reply)
        .status(201)
        .send(await service.register(request.body)),
  );

  app.post(
    '/auth/login',
    {
      schema: {
        operationId: 'login',
        tags: ['auth'],
        summary: 'Sign in with email and password',
        body: LoginBody,
        response: { 200: SessionRef, ...problems('INVALID_CREDENTIALS') },
      },
    },
    async (request, reply) => noStore(reply).send(await service.login(request.body)),
  );

  app.post(
    '/auth/google',
    {
      schema: {
        operationId: 'loginWithGoogle',
        tags: ['auth'],
        summary: 'Sign in with a Google ID token',
        body: GoogleBody,
        response: { 200: SessionRef, ...problems('INVALID_GOOGLE_TOKEN', 'GOOGLE_LOGIN_DISABLED', 'SERVICE_UNAVAILABLE') },
      },
    },
    async (request, reply) => noStore(reply).send(await service.loginWithGoogle(request.body.idToken)),
  );

  app.post(
    '/auth/refresh',
    {
      schema: {
        operationId: 'refreshSession',
        tags: ['auth'],
        summary: 'Trade a refresh token for a new access token and the next refresh token',
        description:
          'Refresh tokens are single use: the answer carries the next one. Presenting a used refresh token again revokes every token of that sign-in.',
        body: RefreshBody,
        response: { 200: SessionRef, ...problems('INVALID_REFRESH_TOKEN') },
      },
    },
    async (request, reply) => noStore(reply).send(await service.refresh(request.body.refreshToken)),
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        operationId: 'logout',
        tags: ['auth'],
        summary: 'Revoke one sign-in (its refresh token); the access token lapses on its own',
        body: RefreshBody,
        response: { 204: Type.Null({ description: 'Done' }), ...problems() },
      },
    },
    async (request, reply) => {
      await service.logout(request.body.refreshToken);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/auth/logout-all',
    {
      onRequest: app.auth.session,
      schema: {
        operationId: 'logoutEverywhere',
        tags: ['auth'],
        summary: 'Sign out everywhere: every access and refresh token of the caller stops working',
        security: [{ bearer: [] }],
        response: { 204: Type.Null({ description: 'Done' }), ...problems(...AUTH_PROBLEMS, 'FORBIDDEN') },
      },
    },
    async (request, reply) => {
      await service.logoutAll(request.principal!.userId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    '/auth/verify',
    {
      schema: {
        operationId: 'verifyToken',
        tags: ['auth'],
        summary: 'Check a user JWT (for other services)',
        body: VerifyBody,
        response: { 200: VerifyResult, ...problems() },
      },
    },
    async (request) => {
      try {
        const claims = await service.verifyToken(request.body.token);
        return { valid: true, claims: { sub: claims.sub, email: claims.email, role: claims.role, iat: claims.iat, exp: claims.exp } };
      } catch (err) {
        if (err instanceof AppError) return { valid: false, claims: null, reason: err.detail };
        throw err;
      }
    },
  );

  app.get(
    '/auth/me',
    {
      onRequest: app.auth.user,
      schema: {
        operationId: 'getMe',
        tags: ['auth'],
        summary: 'The signed-in user',
        security: [{ bearer: [] }],
        response: { 200: Type.Ref('User'), ...problems(...AUTH_PROBLEMS) },
      },
    },
    async (request) => service.me(request.principal!.userId),
  );

  app.post(
    '/api-keys',
    {
      onRequest: app.auth.adminSession,
      schema: {
        operationId: 'createApiKey',
        tags: ['api-keys'],
        summary: 'Create an admin API key (the secret is shown once)',
        description:
          'Needs an admin signed in interactively: an API key cannot manage keys. The key acts for its creator within its scopes (default `read-only`) and stops working if the creator stops being an admin.',
        security: [{ bearer: [] }],
        body: CreateApiKeyBody,
        response: { 201: Type.Ref('CreatedApiKey'), ...problems(...ADMIN_PROBLEMS) },
      },
    },
    async (request, reply) =>
      noStore(reply)
        .status(201)
        .send(
          await service.createApiKey(request.principal!.userId, { name: request.body.name, scopes: request.body.scopes ?? ['read-only'] }),
        ),
  );

  app.get(
    '/api-keys',
    {
      onRequest: app.auth.adminSession,
      schema: {
        operationId: 'listApiKeys',
        tags: ['api-keys'],
        summary: 'List admin API keys, newest first',
        security: [{ bearer: [] }],
        querystring: StrictObject(ListQuery),
        response: { 200: Page(Type.Ref('ApiKey'), 'ApiKeyPage'), ...problems(...ADMIN_PROBLEMS) },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const rows = await service.listApiKeys(limit + 1, API_KEY_PAGES.decode(request.query.cursor));
      return pageOf(rows, limit, toPublicApiKey);
    },
  );

  app.delete(
    '/api-keys/:keyId',
    {
      onRequest: app.auth.adminSession,
      schema: {
        operationId: 'revokeApiKey',
        tags: ['api-keys'],
        summary: 'Revoke an API key; it stops working at once',
        security: [{ bearer: [] }],
        params: StrictObject({ keyId: Uuid() }),
        response: { 200: Type.Ref('ApiKey'), ...problems(...ADMIN_PROBLEMS, 'API_KEY_NOT_FOUND') },
      },
    },
    async (request) => service.revokeApiKey(request.params.keyId),
  );

  app.get(
    '/users',
    {
      onRequest: app.auth.admin,
      schema: {
        operationId: 'listUsers',
        tags: ['users'],
        summary: 'List users, newest first',
        security: [{ bearer: [] }],
        querystring: StrictObject({ ...UserListQuery, ...ListQuery }),
        response: { 200: Page(Type.Ref('User'), 'UserPage'), ...problems(...ADMIN_PROBLEMS) },
      },
    },
    async (request) => {
      const { email, role, cursor } = request.query;
      const limit = request.query.limit ?? 50;
      const rows = await service.listUsers({ email, role }, limit + 1, USER_PAGES.decode(cursor));
      return pageOf(rows, limit, toPublicUser);
    },
  );

  app.patch(
    '/users/:userId',
    {
      onRequest: app.auth.adminSession,
      schema: {
        operationId: 'updateUser',
        tags: ['users'],
        summary: "Change a user's role",
        description:
          'Needs an admin signed in interactively. A change ends the tokens the user holds (they refresh into the new role); a demotion also revokes the API keys they created. The last admin cannot be demoted (LAST_ADMIN).',
        security: [{ bearer: [] }],
        params: StrictObject({ userId: Uuid() }),
        body: UpdateUserBody,
        response: { 200: Type.Ref('User'), ...problems(...ADMIN_PROBLEMS, 'USER_NOT_FOUND', 'LAST_ADMIN') },
      },
    },
    async (request) => service.setRole(request.params.userId, request.body.role),
  );
};
