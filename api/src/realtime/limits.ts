import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';

/** The bounds of the live channel, per process and per socket. */
export interface RealtimeLimits {
  /** Open sockets in this process (realtime port and API-port pipe together). */
  maxConnections: number;
  /** Sockets that arrive through the API-port byte pipe (each costs three file handles, not one). */
  maxPipedConnections: number;
  maxConnectionsPerIp: number;
  maxConnectionsPerUser: number;
  maxTopicsPerSocket: number;
  /** Client messages per second per socket (token bucket; the burst is at least one full resubscribe). */
  messagesPerSecond: number;
  /** Largest client message; subscribe/unsubscribe/ping fit in a few hundred bytes. */
  maxMessageBytes: number;
  /** Client IP from the n-th X-Forwarded-For entry from the right (0 = the TCP peer). */
  trustedProxyHops: number;
}

/** The soft RLIMIT_NOFILE of this process (Node has no getrlimit), or undefined off Linux. */
export function openFileLimit(limitsFile = '/proc/self/limits'): number | undefined {
  try {
    const line = readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    const n = Number(soft);
    return Number.isFinite(n) && n > 0 ? n : undefined; // "unlimited" → undefined
  } catch {
    return undefined;
  }
}

/**
 * Defaults that keep the process below its open-file limit: at the limit uWebSockets.js keeps
 * retrying accept() and spins at 100 % CPU (issue 15), so surplus upgrades must be refused first.
 * A reserve (10 %, at least 256) stays for HTTP clients, PostgreSQL and Redis; of the rest 80 % go to
 * sockets and 10 % to piped sockets, which cost two more handles each (80 % + 2 × 10 % = 100 %).
 */
export function defaultConnectionCaps(fileLimit = openFileLimit()): { maxConnections: number; maxPipedConnections: number } {
  if (fileLimit === undefined) return { maxConnections: 10_000, maxPipedConnections: 1_000 };
  const budget = Math.max(0, fileLimit - Math.max(256, Math.floor(fileLimit / 10)));
  return { maxConnections: Math.max(1, Math.floor(budget * 0.8)), maxPipedConnections: Math.max(1, Math.floor(budget * 0.1)) };
}

export function realtimeLimits(config: Config, fileLimit = openFileLimit()): RealtimeLimits {
  const defaults = defaultConnectionCaps(fileLimit);
  return {
    maxConnections: config.REALTIME_MAX_CONNECTIONS ?? defaults.maxConnections,
    maxPipedConnections: config.REALTIME_MAX_PIPED_CONNECTIONS ?? defaults.maxPipedConnections,
    maxConnectionsPerIp: config.REALTIME_MAX_CONNECTIONS_PER_IP,
    maxConnectionsPerUser: config.REALTIME_MAX_CONNECTIONS_PER_USER,
    maxTopicsPerSocket: config.REALTIME_MAX_TOPICS_PER_SOCKET,
    messagesPerSecond: config.REALTIME_MAX_MESSAGES_PER_SECOND,
    maxMessageBytes: 1024,
    trustedProxyHops: config.REALTIME_TRUSTED_PROXY_HOPS,
  };
}

/** Counts per key with a cap; `take` refuses at the cap, `release` gives back. Empty keys are dropped. */
export class CappedCounter {
  readonly #counts = new Map<string, number>();
  constructor(readonly cap: number) {}
  take(key: string): boolean {
    const n = this.#counts.get(key) ?? 0;
    if (n >= this.cap) return false;
    this.#counts.set(key, n + 1);
    return true;
  }
  release(key: string): void {
    const n = this.#counts.get(key) ?? 0;
    if (n <= 1) this.#counts.delete(key);
    else this.#counts.set(key, n - 1);
  }
  count(key: string): number {
    return this.#counts.get(key) ?? 0;
  }
}

/** The client address: the TCP peer, or the n-th X-Forwarded-For entry from the right behind n trusted proxies. */
export function clientIp(peer: string, forwardedFor: string | undefined, trustedHops: number): string {
  if (trustedHops <= 0 || !forwardedFor) return peer;
  const hops = forwardedFor
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return hops[hops.length - trustedHops] ?? hops[0] ?? peer;
}
