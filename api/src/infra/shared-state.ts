import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';

/**
 * What API instances share: a key-value store with expiry (idempotency, admission state) and a
 * fan-out bus (seat and queue changes). Redis in production; in-process maps when REDIS_URL is
 * unset, which is correct only for a single instance.
 */
export interface SharedState {
  readonly kind: 'redis' | 'memory';
  /** The ioredis client when kind is redis (rate limiting and the queue use it directly). */
  readonly redis: Redis | undefined;
  /** Sets key only if absent; true when set. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  get(key: string): Promise<string | null>;
  del(key: string): Promise<void>;
  /** Reads and deletes key in one step (one-time tickets): of two racing callers only one gets the value. */
  take(key: string): Promise<string | null>;
  publish(channel: string, message: string): Promise<void>;
  /** Receives every message published on channel by any instance, this one included. */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export async function connectSharedState(
  redisUrl: string | undefined,
  prefix: string,
  options: { commandTimeoutMs?: number } = {},
): Promise<SharedState> {
  return redisUrl ? RedisState.connect(redisUrl, prefix, options.commandTimeoutMs ?? 500) : new MemoryState();
}

class RedisState implements SharedState {
  readonly kind = 'redis' as const;
  private readonly bus = new EventEmitter();
  private constructor(
    readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly prefix: string,
  ) {
    this.bus.setMaxListeners(0);
    subscriber.on('message', (channel: string, message: string) => this.bus.emit(channel, message));
  }

  static async connect(url: string, prefix: string, commandTimeoutMs: number): Promise<RedisState> {
    // With Redis down, commands fail at once (no offline queue) or after commandTimeout (a hung
    // Redis), so callers fall back or answer 503 quickly instead of stalling requests for seconds.
    // ioredis keeps reconnecting in the background; nothing needs a restart once Redis is back.
    const options = {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      commandTimeout: commandTimeoutMs,
    };
    const redis = new Redis(url, options);
    const subscriber = new Redis(url, { lazyConnect: true });
    // Errors surface on commands and in /ready; without a listener ioredis would print each retry.
    redis.on('error', () => {});
    subscriber.on('error', () => {});
    await Promise.all([redis.connect(), subscriber.connect()]);
    return new RedisState(redis, subscriber, prefix);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number) {
    return (await this.redis.set(this.prefix + key, value, 'PX', ttlMs, 'NX')) === 'OK';
  }
  async set(key: string, value: string, ttlMs: number) {
    await this.redis.set(this.prefix + key, value, 'PX', ttlMs);
  }
  get(key: string) {
    return this.redis.get(this.prefix + key);
  }
  async del(key: string) {
    await this.redis.del(this.prefix + key);
  }
  take(key: string) {
    return this.redis.getdel(this.prefix + key);
  }
  async publish(channel: string, message: string) {
    await this.redis.publish(this.prefix + channel, message);
  }
  async subscribe(channel: string, onMessage: (message: string) => void) {
    this.bus.on(this.prefix + channel, onMessage);
    await this.subscriber.subscribe(this.prefix + channel);
  }
  async ping() {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }
  async close() {
    this.bus.removeAllListeners();
    await Promise.allSettled([this.redis.quit(), this.subscriber.quit()]);
  }
}

class MemoryState implements SharedState {
  readonly kind = 'memory' as const;
  readonly redis = undefined;
  private readonly values = new Map<string, { value: string; expiresAt: number }>();
  private readonly bus = new EventEmitter();
  private readonly sweeper = setInterval(() => this.sweep(), 30_000).unref();

  constructor() {
    this.bus.setMaxListeners(0);
  }

  private live(key: string) {
    const entry = this.values.get(key);
    if (entry && entry.expiresAt <= Date.now()) {
      this.values.delete(key);
      return undefined;
    }
    return entry;
  }
  private sweep() {
    const now = Date.now();
    for (const [key, entry] of this.values) if (entry.expiresAt <= now) this.values.delete(key);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number) {
    if (this.live(key)) return false;
    this.values.set(key, { value, expiresAt: Date.now() + ttlMs });
    return true;
  }
  async set(key: string, value: string, ttlMs: number) {
    this.values.set(key, { value, expiresAt: Date.now() + ttlMs });
  }
  async get(key: string) {
    return this.live(key)?.value ?? null;
  }
  async del(key: string) {
    this.values.delete(key);
  }
  async take(key: string) {
    const value = this.live(key)?.value ?? null;
    this.values.delete(key);
    return value;
  }
  async publish(channel: string, message: string) {
    // Asynchronous like Redis, so publishers never run subscriber code inside their own call.
    queueMicrotask(() => this.bus.emit(channel, message));
  }
  async subscribe(channel: string, onMessage: (message: string) => void) {
    this.bus.on(channel, onMessage);
  }
  async ping() {
    return true;
  }
  async close() {
    clearInterval(this.sweeper);
    this.bus.removeAllListeners();
    this.values.clear();
  }
}
