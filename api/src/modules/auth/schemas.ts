import { Type } from '@sinclair/typebox';
import { NonBlankText, Nullable, StrictObject, Text, TOKEN_PATTERN, Timestamp, Uuid } from '../../schemas.js';

export const Email = Type.String({ format: 'email', maxLength: 254, description: 'Email address' });
export const Password = Text({ minLength: 8, maxLength: 128, description: '8 to 128 characters' });

export const User = Type.Object(
  {
    id: Uuid(),
    email: Type.String(),
    name: Type.String(),
    phone: Nullable(Type.String()),
    role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
    createdAt: Timestamp(),
  },
  { $id: 'User', title: 'User' },
);

export const Session = Type.Object(
  {
    user: Type.Ref('User'),
    token: Type.String({ description: 'Access token (JWT) for Authorization: Bearer; short-lived (JWT_EXPIRES_IN)' }),
    expiresAt: Timestamp({ description: 'When `token` expires' }),
    refreshToken: Type.String({
      description: 'Opaque, single use: POST /v1/auth/refresh trades it for a new token and the next refresh token',
    }),
  },
  { $id: 'Session', title: 'Session' },
);

export const RefreshBody = StrictObject({ refreshToken: Type.String({ minLength: 1, maxLength: 200, pattern: TOKEN_PATTERN }) });

export const Role = Type.Union([Type.Literal('user'), Type.Literal('admin')]);
export const UserListQuery = {
  email: Type.Optional(Type.String({ minLength: 1, maxLength: 254, pattern: '^[^\\u0000]+$', description: 'Part of the email, any case' })),
  role: Type.Optional(Role),
};
export const UpdateUserBody = StrictObject({ role: Role });

export const RegisterBody = StrictObject({
  email: Email,
  password: Password,
  name: NonBlankText(100),
  phone: Type.Optional(Type.String({ pattern: '^[0-9+\\-() ]{6,20}$' })),
});
export const LoginBody = StrictObject({ email: Email, password: Text({ minLength: 1, maxLength: 128 }) });
export const GoogleBody = StrictObject({ idToken: Text({ minLength: 10, maxLength: 4096 }) });
export const VerifyBody = StrictObject({ token: Text({ minLength: 1, maxLength: 4096 }) });
export const VerifyResult = Type.Object(
  {
    valid: Type.Boolean(),
    claims: Nullable(
      Type.Object({
        sub: Uuid(),
        email: Type.String(),
        role: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
        iat: Type.Integer(),
        exp: Type.Integer(),
      }),
    ),
    reason: Type.Optional(Type.String()),
  },
  { title: 'TokenVerification' },
);

export const ApiKeyScope = Type.Union([Type.Literal('read-only'), Type.Literal('catalog'), Type.Literal('operations')], {
  description:
    '`read-only`: admin reads (GET) everywhere; `catalog`: reads and writes of events, ticket types, seat layouts, news, keyword mappings; `operations`: reads and writes of holds, reservations, queues, payments, users',
});

const apiKeyProps = {
  id: Uuid(),
  name: Type.String(),
  prefix: Type.String({ description: 'First characters of the key, to recognise it' }),
  createdBy: Uuid({ description: 'The admin the key acts for; it stops working if they stop being an admin' }),
  scopes: Type.Array(ApiKeyScope),
  createdAt: Timestamp(),
  lastUsedAt: Nullable(Timestamp()),
  revokedAt: Nullable(Timestamp()),
};
export const ApiKey = Type.Object(apiKeyProps, { $id: 'ApiKey', title: 'ApiKey' });
export const CreatedApiKey = Type.Object(
  { ...apiKeyProps, secret: Type.String({ description: 'The key itself (tk_...): shown once, store it now' }) },
  { $id: 'CreatedApiKey', title: 'CreatedApiKey' },
);
export const CreateApiKeyBody = StrictObject({
  name: NonBlankText(100),
  scopes: Type.Optional(Type.Array(ApiKeyScope, { minItems: 1, maxItems: 3, uniqueItems: true, default: ['read-only'] })),
});
