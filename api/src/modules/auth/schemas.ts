import { Type } from '@sinclair/typebox';
import { NonBlankText, Nullable, StrictObject, Text, Timestamp, Uuid } from '../../schemas.js';

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
  { user: Type.Ref('User'), token: Type.String({ description: 'JWT for Authorization: Bearer' }) },
  { $id: 'Session', title: 'Session' },
);

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

const apiKeyProps = {
  id: Uuid(),
  name: Type.String(),
  prefix: Type.String({ description: 'First characters of the key, to recognise it' }),
  createdBy: Uuid(),
  createdAt: Timestamp(),
  lastUsedAt: Nullable(Timestamp()),
  revokedAt: Nullable(Timestamp()),
};
export const ApiKey = Type.Object(apiKeyProps, { $id: 'ApiKey', title: 'ApiKey' });
export const CreatedApiKey = Type.Object(
  { ...apiKeyProps, secret: Type.String({ description: 'The key itself (tk_...): shown once, store it now' }) },
  { $id: 'CreatedApiKey', title: 'CreatedApiKey' },
);
export const CreateApiKeyBody = StrictObject({ name: NonBlankText(100) });
