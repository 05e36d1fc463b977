import { envSchema } from 'env-schema';
import { Type, type Static } from '@sinclair/typebox';

// Every setting the API reads, with one line on when it applies. The README's table mirrors this.
export const ConfigSchema = Type.Object({
  /** Runtime mode; `production` hides nothing more but turns off pretty logs. */
  NODE_ENV: Type.String({ default: 'development' }),
  /** HTTP port of the REST API. */
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  /** Port of the uWebSockets.js realtime channel. */
  REALTIME_PORT: Type.Integer({ default: 3001, minimum: 0, maximum: 65535 }),
  /** Interface both listeners bind to. */
  HOST: Type.String({ default: '0.0.0.0' }),
  /** Public base URL of the API, used in the spec's `servers`. */
  PUBLIC_URL: Type.Optional(Type.String()),
  /** PostgreSQL connection string; unset = embedded PostgreSQL in TIKETI_DATA_DIR. */
  DATABASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  /** Pool size per API instance. */
  DATABASE_POOL_MAX: Type.Integer({ default: 20, minimum: 1 }),
  /** Redis connection string; unset = single instance with in-process queue, fan-out and limits. */
  REDIS_URL: Type.Optional(Type.String({ minLength: 1 })),
  /** Prefix of every Redis key, so several deployments (or test files) can share one Redis. */
  REDIS_PREFIX: Type.String({ default: 'tiketi:' }),
  /** Where embedded PostgreSQL keeps its data between runs. */
  TIKETI_DATA_DIR: Type.String({ default: './.tiketi' }),
  /** Port of embedded PostgreSQL. */
  EMBEDDED_PG_PORT: Type.Integer({ default: 54329, minimum: 1, maximum: 65535 }),
  /** `sample` loads the sample catalog into an empty database at start; `none` skips it. */
  TIKETI_SEED: Type.Union([Type.Literal('sample'), Type.Literal('none')], { default: 'sample' }),
  /** Secret that signs user JWTs and queue admission tokens (at least 32 characters in production). */
  JWT_SECRET: Type.String({ minLength: 16, default: 'tiketi-development-secret-change-me' }),
  /** Lifetime of a user JWT, as a jose duration such as `7d` or `15m`. */
  JWT_EXPIRES_IN: Type.String({ default: '7d', pattern: '^[0-9]+\\s?(s|m|h|d|w)$' }),
  /** JWKS URL that Google ID tokens are verified against. */
  GOOGLE_JWKS_URL: Type.String({ default: 'https://www.googleapis.com/oauth2/v3/certs' }),
  /** OAuth client id(s) that Google ID tokens must be issued for, comma separated; unset = Google login off. */
  GOOGLE_CLIENT_ID: Type.Optional(Type.String()),
  /** Accepted `iss` values of Google ID tokens, comma separated. */
  GOOGLE_ISSUERS: Type.String({ default: 'https://accounts.google.com,accounts.google.com' }),
  /** Admin account ensured at start (both must be set). */
  TIKETI_ADMIN_EMAIL: Type.Optional(Type.String()),
  TIKETI_ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8 })),
  /** `on` or `off`; off is for load tests. */
  RATE_LIMIT: Type.Union([Type.Literal('on'), Type.Literal('off')], { default: 'on' }),
  /** Requests per client (user, key or IP) per window. */
  RATE_LIMIT_MAX: Type.Integer({ default: 300, minimum: 1 }),
  /** Window of the rate limit, in milliseconds. */
  RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 60_000, minimum: 1000 }),
  /** Allowed CORS origins, comma separated; `*` allows any. */
  CORS_ORIGINS: Type.String({ default: '*' }),
  /** pino level. */
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  /** How long a seat hold lives, in seconds. */
  HOLD_TTL_SECONDS: Type.Integer({ default: 300, minimum: 1 }),
  /** How long a pending reservation waits for payment, in seconds. */
  RESERVATION_TTL_SECONDS: Type.Integer({ default: 900, minimum: 1 }),
  /** Most tickets one user may hold or reserve for one event. */
  MAX_TICKETS_PER_USER: Type.Integer({ default: 8, minimum: 1 }),
  /** How often the sweeper releases expired holds and reservations, in milliseconds. */
  SWEEP_INTERVAL_MS: Type.Integer({ default: 1000, minimum: 100 }),
  /** Memory for the in-memory seat maps of the events being read, in MiB (least-recently-read leave first). */
  READ_CACHE_MB: Type.Integer({ default: 256, minimum: 1 }),
  /** How long graceful shutdown waits for in-flight requests, in milliseconds. */
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
});

export type Config = Static<typeof ConfigSchema>;

/** Reads and validates configuration; a bad value throws an error naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') data[key] = value;
  Object.assign(data, overrides);
  try {
    return envSchema<Config>({ schema: ConfigSchema, data, env: false, dotenv: false });
  } catch (err) {
    throw new Error(`Invalid configuration: ${(err as Error).message}`);
  }
}
