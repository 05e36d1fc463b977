// Public names for the generated schemas, so callers never spell `components['schemas'][...]`.
import type { components, operations } from './generated/openapi.js';

type Schemas = components['schemas'];

/** The JSON request body of an operation (by operationId). */
export type BodyOf<Op extends keyof operations> = operations[Op] extends { requestBody: { content: { 'application/json': infer B } } }
  ? B
  : operations[Op] extends { requestBody?: { content: { 'application/json': infer B } } }
    ? B
    : never;
/** The query parameters of an operation (by operationId). */
export type QueryOf<Op extends keyof operations> = NonNullable<operations[Op]['parameters']['query']>;

export type User = Schemas['User'];
/** `{ user, token }` from register and the logins. */
export type Session = Schemas['Session'];
export type ApiKey = Schemas['ApiKey'];
/** An API key as created: the only time `secret` is shown. */
export type CreatedApiKey = Schemas['CreatedApiKey'];

export type RegisterBody = BodyOf<'register'>;
export type LoginBody = BodyOf<'login'>;
export type GoogleLoginBody = BodyOf<'loginWithGoogle'>;
export type VerifyResult = operations['verifyToken']['responses'][200]['content']['application/json'];
export type CreateApiKeyBody = BodyOf<'createApiKey'>;
export type ListApiKeysQuery = QueryOf<'listApiKeys'>;
