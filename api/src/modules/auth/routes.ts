import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors.js';
import { pageOf } from '../../pagination.js';
import { ADMIN_PROBLEMS, AUTH_PROBLEMS, ListQuery, Page, StrictObject, Uuid, problems } from '../../schemas.js';
import { API_KEY_PAGES } from './repository.js';
import {
  ApiKey,
  CreateApiKeyBody,
  CreatedApiKey,
  GoogleBody,
  LoginBody,
  RegisterBody,
  Session,
  User,
  VerifyBody,
  VerifyResult,
} from './schemas.js';
import { toPublicApiKey, type AuthService } from './service.js';

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
    async (request, reply) => reply.status(201).send(await service.register(request.body)),
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
    async (request) => service.login(request.body),
  );

  app.post(
    '/auth/google',
    {
      schema: {
        operationId: 'loginWithGoogle',
        tags: ['auth'],
        summary: 'Sign in with a Google ID token',
        body: GoogleBody,
        response: { 200: SessionRef, ...problems('INVALID_GOOGLE_TOKEN', 'GOOGLE_LOGIN_DISABLED') },
      },
    },
    async (request) => service.loginWithGoogle(request.body.idToken),
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
        return { valid: true, claims: { sub: claims.sub, email: claims.email, role: claims.role, iat: claims.iat!, exp: claims.exp! } };
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
      onRequest: app.auth.admin,
      schema: {
        operationId: 'createApiKey',
        tags: ['api-keys'],
        summary: 'Create an admin API key (the secret is shown once)',
        security: [{ bearer: [] }],
        body: CreateApiKeyBody,
        response: { 201: Type.Ref('CreatedApiKey'), ...problems(...ADMIN_PROBLEMS) },
      },
    },
    async (request, reply) => reply.status(201).send(await service.createApiKey(request.principal!.userId, request.body.name)),
  );

  app.get(
    '/api-keys',
    {
      onRequest: app.auth.admin,
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
      onRequest: app.auth.admin,
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
};
