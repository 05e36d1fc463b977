import { envSchema } from 'env-schema';
import { Type, type Static } from '@sinclair/typebox';
import { isTimeZone } from './modules/stats/time-zones.js';

// Every setting the API reads, with one line on when it applies. The README's table mirrors this.
export const ConfigSchema = Type.Object({
  /** Runtime mode; `production` hides nothing more but turns off pretty logs. */
  NODE_ENV: Type.String({ default: 'development' }),
  /** HTTP port of the REST API. */
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  /** Port of the uWebSockets.js realtime channel. */
  REALTIME_PORT: Type.Integer({ default: 3001, minimum: 0, maximum: 65535 }),
  /** Public origin of the realtime listener (e.g. `wss://rt.example.com`), told to clients with their realtime ticket. */
  PUBLIC_REALTIME_URL: Type.Optional(Type.String({ minLength: 1 })),
  /** Open realtime sockets per process; unset = 80 % of what the open-file limit leaves after a reserve. */
  REALTIME_MAX_CONNECTIONS: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Realtime sockets through the API port's byte pipe (three file handles each); unset = 10 % of that budget. */
  REALTIME_MAX_PIPED_CONNECTIONS: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Realtime sockets per client IP (high enough for carrier NAT). */
  REALTIME_MAX_CONNECTIONS_PER_IP: Type.Integer({ default: 500, minimum: 1 }),
  /** Realtime sockets per signed-in user. */
  REALTIME_MAX_CONNECTIONS_PER_USER: Type.Integer({ default: 10, minimum: 1 }),
  /** Topics one realtime socket may follow. */
  REALTIME_MAX_TOPICS_PER_SOCKET: Type.Integer({ default: 50, minimum: 1 }),
  /** Messages per second a realtime socket may send (bursts of a full resubscribe pass). */
  REALTIME_MAX_MESSAGES_PER_SECOND: Type.Integer({ default: 10, minimum: 1 }),
  /** Proxies in front of the realtime listener whose X-Forwarded-For is trusted for per-IP caps (0 = none). */
  REALTIME_TRUSTED_PROXY_HOPS: Type.Integer({ default: 0, minimum: 0 }),
  /** Lifetime of a one-time realtime ticket, in seconds. */
  REALTIME_TICKET_TTL_SECONDS: Type.Integer({ default: 30, minimum: 1, maximum: 300 }),
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
  /** Port of embedded PostgreSQL; unset = a free port picked at start. */
  EMBEDDED_PG_PORT: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  /** `sample` loads the sample catalog into an empty database at start; `none` skips it. */
  TIKETI_SEED: Type.Union([Type.Literal('sample'), Type.Literal('none')], { default: 'sample' }),
  /**
   * Secret that signs user JWTs and queue admission tokens. Required in production (32+ characters,
   * not a placeholder); unset elsewhere = a random secret kept in TIKETI_DATA_DIR/jwt-secret (0600).
   */
  JWT_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  /** Lifetime of an access token (user JWT), as a duration such as `15m` or `1h`. */
  JWT_EXPIRES_IN: Type.String({ default: '15m', pattern: '^[0-9]+\\s?(s|m|h|d|w)$' }),
  /** Lifetime of a refresh token (single use, rotated on every refresh). */
  JWT_REFRESH_EXPIRES_IN: Type.String({ default: '30d', pattern: '^[0-9]+\\s?(s|m|h|d|w)$' }),
  /** How long a user's role and token version are cached per instance, in ms (0 = read on every request). */
  AUTH_CACHE_TTL_MS: Type.Integer({ default: 10_000, minimum: 0, maximum: 60_000 }),
  /** Bearer token for GET /metrics; required to serve /metrics in production (unset there = 404). */
  METRICS_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  /** Whether /docs offers "Try it out"; default on outside production, off in production. */
  DOCS_TRY_IT_OUT: Type.Optional(Type.Boolean()),
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
  /** Sign-in attempts (login, register, Google) per client address per AUTH_RATE_LIMIT_WINDOW_MS; off with RATE_LIMIT. */
  AUTH_RATE_LIMIT_PER_IP: Type.Integer({ default: 20, minimum: 1 }),
  /** Sign-in attempts per account (email) per AUTH_RATE_LIMIT_WINDOW_MS, whatever the address. */
  AUTH_RATE_LIMIT_PER_ACCOUNT: Type.Integer({ default: 10, minimum: 1 }),
  /** Window of the sign-in limits, in milliseconds. */
  AUTH_RATE_LIMIT_WINDOW_MS: Type.Integer({ default: 900_000, minimum: 1000 }),
  /**
   * Which proxies may set X-Forwarded-For: `off` (the default: the socket address is the client), a
   * hop count such as `1`, or a comma-separated list of proxy addresses or CIDRs.
   */
  TRUST_PROXY: Type.String({ default: 'off', pattern: '^(off|[0-9]+|[0-9A-Fa-f.:/]+(\\s*,\\s*[0-9A-Fa-f.:/]+)*)$' }),
  /** How long a Redis command may take before it counts as failed (fallbacks and 503s), in milliseconds. */
  REDIS_COMMAND_TIMEOUT_MS: Type.Integer({ default: 500, minimum: 10 }),
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
  /**
   * `on` (the default): a hold answered 201 survives a PostgreSQL crash. `off` commits holds
   * asynchronously (faster under load): a crash may lose holds acknowledged in its last ~0.6 s.
   */
  HOLDS_SYNCHRONOUS_COMMIT: Type.Union([Type.Literal('on'), Type.Literal('off')], { default: 'on' }),
  /** Most holds one client address may create per event per HOLD_TTL_SECONDS (anti-hoarding); 0 = no limit. */
  HOLDS_PER_IP_PER_EVENT: Type.Integer({ default: 50, minimum: 0 }),
  /** Most holds one account may create per minute, all events together; 0 = no limit. */
  HOLDS_PER_ACCOUNT_PER_MINUTE: Type.Integer({ default: 20, minimum: 0 }),
  /** Idempotency: most stored answers per account (the oldest are forgotten first). */
  IDEMPOTENCY_MAX_KEYS_PER_USER: Type.Integer({ default: 1000, minimum: 1 }),
  /** Idempotency: most stored answers in the in-process store (no Redis, or Redis down). */
  IDEMPOTENCY_LOCAL_MAX: Type.Integer({ default: 10_000, minimum: 1 }),
  /** How often the sweeper releases expired holds and reservations, in milliseconds. */
  SWEEP_INTERVAL_MS: Type.Integer({ default: 1000, minimum: 100 }),
  /** Memory for the in-memory seat maps of the events being read, in MiB (least-recently-read leave first). */
  READ_CACHE_MB: Type.Integer({ default: 256, minimum: 1 }),
  /**
   * What this process does, comma separated, any mix of `http` (the REST API), `realtime` (the
   * WebSocket channel), `admitter` (lets people in from waiting rooms) and `sweeper` (expires holds
   * and reservations); all four by default, so the roles can also be scaled apart.
   */
  TIKETI_ROLES: Type.String({
    default: 'http,realtime,admitter,sweeper',
    pattern: '^\\s*(http|realtime|admitter|sweeper)\\s*(,\\s*(http|realtime|admitter|sweeper)\\s*)*$',
  }),
  /** How long graceful shutdown waits for in-flight requests, in milliseconds. */
  SHUTDOWN_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100 }),
  /** Most time a client may take to send a request's headers, in milliseconds (slow-header clients). */
  HEADERS_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 1000 }),
  /** Most time a client may take to send a whole request, body included, in milliseconds; 0 = no limit. */
  REQUEST_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 0 }),
  /** How long an idle keep-alive connection stays open, in milliseconds (above a load balancer's 60 s). */
  KEEP_ALIVE_TIMEOUT_MS: Type.Integer({ default: 72_000, minimum: 1000 }),
  /** `sandbox` (the local Toss-compatible sandbox, served under /sandbox/toss) or `toss`; unset = `toss` in production with a DATABASE_URL, `sandbox` otherwise. */
  PAYMENTS_PROVIDER: Type.Optional(Type.Union([Type.Literal('sandbox'), Type.Literal('toss')])),
  /** Base URL of the TossPayments API; unset = https://api.tosspayments.com for `toss`, this API's own /sandbox/toss for `sandbox`. */
  TOSS_API_URL: Type.Optional(Type.String({ minLength: 1 })),
  /** TossPayments secret key (`test_sk_…`/`live_sk_…`); server side only, never logged. Unset with `sandbox` = a sandbox test key. */
  TOSS_SECRET_KEY: Type.Optional(Type.String({ minLength: 8 })),
  /** TossPayments client key (`test_ck_…`/`live_ck_…`) handed to storefronts by prepare. Unset with `sandbox` = a sandbox test key. */
  TOSS_CLIENT_KEY: Type.Optional(Type.String({ minLength: 8 })),
  /** Read timeout of one provider call, in milliseconds (a timed-out confirm is reconciled, never guessed). */
  TOSS_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 100 }),
  /** Owners may refund until this many hours before the event starts; admins always. */
  PAYMENT_REFUND_WINDOW_HOURS: Type.Integer({ default: 24, minimum: 0 }),
  /** How often the reconciliation job settles confirms that never finished, in milliseconds. */
  PAYMENT_RECONCILE_INTERVAL_MS: Type.Integer({ default: 15_000, minimum: 100 }),
  /** A confirm claimed longer ago than this, in milliseconds, is settled from the provider's record. */
  PAYMENT_RECONCILE_AFTER_MS: Type.Integer({ default: 30_000, minimum: 0 }),
  /** IANA time zone the statistics cut days in unless a request names one (`timeZone`); also the daily cache's zone. */
  STATS_TIME_ZONE: Type.String({ default: 'Asia/Seoul', minLength: 1, maxLength: 64 }),
  /** How often the stats job (sweeper role) refreshes the event and daily statistics caches, in milliseconds. */
  STATS_REFRESH_INTERVAL_MS: Type.Integer({ default: 60_000, minimum: 1000 }),
  /** How many finished days back the stats job keeps in the daily cache. */
  STATS_DAILY_CACHE_DAYS: Type.Integer({ default: 400, minimum: 1, maximum: 731 }),
  /** TEST ONLY, refused in production: `exit-after-provider-confirm` kills the process between the provider's confirm and our commit. */
  TIKETI_FAULT: Type.Optional(Type.Literal('exit-after-provider-confirm')),
});

export type Config = Static<typeof ConfigSchema>;

// Public values that must never sign tokens: the old built-in default and the deploy placeholders.
const PUBLIC_SECRETS = new Set(['tiketi-development-secret-change-me', 'CHANGE_ME_TO_32_OR_MORE_RANDOM_CHARACTERS']);
const PLACEHOLDER = /change[-_ ]?me|placeholder|replace[-_ ]?me|your[-_ ]?secret|^(.)\1*$/i;

/** Whether a secret is a known public value or an obvious placeholder. */
export function isPublicSecret(secret: string): boolean {
  return PUBLIC_SECRETS.has(secret) || PLACEHOLDER.test(secret);
}

/**
 * Why this configuration must not start, one line each naming the variable. A public secret is
 * refused in every mode (anyone could sign an admin token with it); production also needs its own
 * secret and a real database.
 */
export function unsafeConfiguration(config: Config): string[] {
  const problems: string[] = [];
  const production = config.NODE_ENV === 'production';
  if (config.JWT_SECRET !== undefined && isPublicSecret(config.JWT_SECRET)) {
    problems.push('JWT_SECRET is a public default or placeholder; set 32 or more random characters (e.g. `openssl rand -base64 48`)');
  } else if (production && config.JWT_SECRET === undefined) {
    problems.push('JWT_SECRET is required when NODE_ENV=production; set 32 or more random characters (e.g. `openssl rand -base64 48`)');
  } else if (production && config.JWT_SECRET!.length < 32) {
    problems.push(`JWT_SECRET has ${config.JWT_SECRET!.length} characters; NODE_ENV=production needs at least 32`);
  }
  if (production && !config.DATABASE_URL) {
    problems.push('DATABASE_URL is required when NODE_ENV=production (the embedded PostgreSQL is for development only)');
  } else if (production && /change[-_ ]?me/i.test(config.DATABASE_URL!)) {
    problems.push('DATABASE_URL still holds the CHANGE_ME placeholder password');
  }
  if (production && config.METRICS_TOKEN !== undefined && isPublicSecret(config.METRICS_TOKEN)) {
    problems.push('METRICS_TOKEN is a placeholder; set 16 or more random characters or unset it');
  }
  return problems;
}

export type Role = 'http' | 'realtime' | 'admitter' | 'sweeper';

/** The roles of this process (TIKETI_ROLES). */
export function rolesOf(config: Pick<Config, 'TIKETI_ROLES'>): Set<Role> {
  return new Set(config.TIKETI_ROLES.split(',').map((r) => r.trim() as Role));
}

/** Reads and validates configuration; a bad value throws an error naming the variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') data[key] = value;
  Object.assign(data, overrides);
  try {
    const config = envSchema<Config>({ schema: ConfigSchema, data, env: false, dotenv: false });
    if (config.TIKETI_FAULT && config.NODE_ENV === 'production')
      throw new Error('TIKETI_FAULT is for tests only and refused in production');
    if (!isTimeZone(config.STATS_TIME_ZONE))
      throw new Error(`STATS_TIME_ZONE ${config.STATS_TIME_ZONE} is not an IANA time zone (such as Asia/Seoul)`);
    return config;
  } catch (err) {
    throw new Error(`Invalid configuration: ${(err as Error).message}`);
  }
}
