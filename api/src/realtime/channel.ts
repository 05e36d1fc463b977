// The live channel's protocol, independent of the WebSocket library: who may connect (caps, token
// or one-time ticket), and what a socket may say (JSON ops, topics that exist, a bounded number of
// them, at a bounded rate). server.ts runs it on uWebSockets.js, ws-transport.ts on the `ws` package.
import { LRUCache } from 'lru-cache';
import type { Queryable } from '../infra/db.js';
import type { SharedState } from '../infra/shared-state.js';
import { CappedCounter, clientIp, type RealtimeLimits } from './limits.js';
import { consumeRealtimeTicket } from '../modules/realtime-tickets/service.js';

/** Per-socket state; kept small because a process holds tens of thousands of these. */
export interface SocketData {
  userId: string | null;
  ip: string;
  piped: boolean;
  /** Rate bucket: tokens left and when it was last refilled (ms). */
  tokens: number;
  refilledAt: number;
  closed: boolean;
  /** Messages waiting behind an event lookup, so answers keep the order of requests. */
  pending: Promise<void> | undefined;
}

/** What the protocol needs from one socket of either transport. */
export interface ChannelSocket {
  data: SocketData;
  send(text: string): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): boolean;
  isSubscribed(topic: string): boolean;
  topicCount(): number;
  /** Closes with a WebSocket close code. */
  end(code: number, reason: string): void;
}

export type Admission = { ok: true; data: SocketData } | { ok: false; status: number; code: string; message: string };

/** What an upgrade request carries that the channel looks at. */
export interface UpgradeRequest {
  peerIp: string;
  query: string;
  forwardedFor: string | undefined;
  /** Value of the forwarder's header, trusted only with the process's secret. */
  forwardedBy: string | undefined;
}

const SEAT_TOPIC = /^event\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.seats$/;
const QUEUE_TOPIC = /^queue\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** WebSocket close codes the channel uses. */
export const CLOSE_POLICY = 1008;

/** Header the API-port forwarder adds: `<secret> <client ip>`; any copy sent by a client is replaced. */
export const FORWARDED_HEADER = 'x-tiketi-forwarded';

export interface ChannelOptions {
  shared: SharedState;
  db: Queryable;
  verifyToken: (token: string) => Promise<{ sub: string }>;
  limits: RealtimeLimits;
  /** Secret shared with this process's API-port forwarder. */
  forwardSecret: string;
}

/** The refusal body: problem+json, as HTTP errors elsewhere. */
export function refusalBody(refusal: Extract<Admission, { ok: false }>): string {
  return JSON.stringify({
    type: `https://tiketi.dev/problems/${refusal.code.toLowerCase().replace(/_/g, '-')}`,
    title: refusal.message,
    status: refusal.status,
    code: refusal.code,
  });
}

export function createChannel(opts: ChannelOptions) {
  const { limits } = opts;
  let open = 0; // admitted sockets plus upgrades being authenticated
  let piped = 0;
  const perIp = new CappedCounter(limits.maxConnectionsPerIp);
  const perUser = new CappedCounter(limits.maxConnectionsPerUser);
  const burst = Math.max(2 * limits.messagesPerSecond, limits.maxTopicsPerSocket + 10);

  // Existence of events, cached: a hit for a minute (events are rarely deleted, and a stale hit only
  // lets a socket follow a silent topic), a miss for five seconds (a new event soon becomes followable).
  // Concurrent lookups of one id share one query.
  const known = new LRUCache<string, boolean>({ max: 20_000, ttl: 60_000 });
  const inflight = new Map<string, Promise<boolean>>();
  const eventExists = (eventId: string): boolean | Promise<boolean> => {
    const cached = known.get(eventId);
    if (cached !== undefined) return cached;
    let lookup = inflight.get(eventId);
    if (!lookup) {
      lookup = opts.db
        .query('SELECT 1 FROM ticket.events WHERE id = $1', [eventId])
        .then((r) => {
          const exists = (r.rowCount ?? 0) > 0;
          known.set(eventId, exists, { ttl: exists ? 60_000 : 5_000 });
          return exists;
        })
        .finally(() => inflight.delete(eventId));
      inflight.set(eventId, lookup);
    }
    return lookup;
  };

  const refuse = (status: number, code: string, message: string): Admission => ({ ok: false, status, code, message });

  const release = (data: Pick<SocketData, 'ip' | 'userId' | 'piped'>, counted: { user: boolean }) => {
    open--;
    if (data.piped) piped--;
    perIp.release(data.ip);
    if (counted.user && data.userId) perUser.release(data.userId);
  };

  const reply = (socket: ChannelSocket, message: object) => {
    if (!socket.data.closed) socket.send(JSON.stringify(message));
  };
  const error = (socket: ChannelSocket, code: string, message: string, topic?: string) =>
    reply(socket, topic === undefined ? { type: 'error', code, message } : { type: 'error', code, message, topic });

  /** One op; returns a promise only when it had to look an event up. */
  const handle = (socket: ChannelSocket, msg: { op?: unknown; topic?: unknown }): void | Promise<void> => {
    if (msg.op === 'ping') return reply(socket, { type: 'pong' });
    if (msg.op !== 'subscribe' && msg.op !== 'unsubscribe') return error(socket, 'UNKNOWN_OP', 'op is subscribe, unsubscribe or ping');
    const topic = typeof msg.topic === 'string' ? msg.topic : '';
    const data = socket.data;
    let internal: string | undefined;
    let eventId: string | undefined;
    const seat = SEAT_TOPIC.exec(topic);
    if (seat) {
      internal = topic;
      eventId = seat[1];
    }
    const queue = QUEUE_TOPIC.exec(topic);
    if (queue) {
      if (!data.userId)
        return error(socket, 'AUTHENTICATION_REQUIRED', 'Connect with a ticket (or ?token=) to follow your queue place', topic);
      internal = `queue.${queue[1]}.${data.userId}`;
      eventId = queue[1];
    }
    if (!internal || !eventId) return error(socket, 'UNKNOWN_TOPIC', `No topic ${topic.slice(0, 100)}`, topic.slice(0, 100));
    if (msg.op === 'unsubscribe') {
      socket.unsubscribe(internal);
      return reply(socket, { type: 'unsubscribed', topic });
    }
    if (socket.isSubscribed(internal)) return reply(socket, { type: 'subscribed', topic });
    if (socket.topicCount() >= limits.maxTopicsPerSocket)
      return error(socket, 'TOO_MANY_TOPICS', `A connection follows at most ${limits.maxTopicsPerSocket} topics`, topic);
    const subscribe = (exists: boolean) => {
      if (data.closed) return;
      if (!exists) return error(socket, 'EVENT_NOT_FOUND', `No event ${eventId}`, topic);
      // Checked again: other subscribes may have finished while this one waited.
      if (socket.topicCount() >= limits.maxTopicsPerSocket)
        return error(socket, 'TOO_MANY_TOPICS', `A connection follows at most ${limits.maxTopicsPerSocket} topics`, topic);
      socket.subscribe(internal);
      reply(socket, { type: 'subscribed', topic });
    };
    const exists = eventExists(eventId);
    if (typeof exists === 'boolean') return subscribe(exists);
    return exists.then(subscribe, () => error(socket, 'SERVICE_UNAVAILABLE', 'Cannot check the event now; try again', topic));
  };

  return {
    get connections() {
      return open;
    },
    get pipedConnections() {
      return piped;
    },

    /**
     * Decides an upgrade: capacity first (no work for surplus), then the credential. On success the
     * slot stays taken until `closed` is called; on refusal it is already given back.
     */
    async admit(req: UpgradeRequest): Promise<Admission> {
      let ip = req.peerIp;
      let isPiped = false;
      if (req.forwardedBy) {
        const space = req.forwardedBy.indexOf(' ');
        if (space > 0 && req.forwardedBy.slice(0, space) === opts.forwardSecret) {
          ip = req.forwardedBy.slice(space + 1);
          isPiped = true;
        }
      } else {
        ip = clientIp(req.peerIp, req.forwardedFor, limits.trustedProxyHops);
      }
      if (open >= limits.maxConnections) return refuse(503, 'REALTIME_CAPACITY_REACHED', 'The live channel is full; retry shortly');
      if (!perIp.take(ip)) return refuse(429, 'RATE_LIMITED', 'Too many live connections from this address');
      open++;
      if (isPiped) piped++;
      const data: SocketData = {
        userId: null,
        ip,
        piped: isPiped,
        tokens: burst,
        refilledAt: Date.now(),
        closed: false,
        pending: undefined,
      };
      const params = new URLSearchParams(req.query);
      const ticket = params.get('ticket');
      const token = params.get('token');
      try {
        if (ticket) {
          data.userId = await consumeRealtimeTicket(opts.shared, ticket);
          if (!data.userId) {
            release(data, { user: false });
            return refuse(401, 'INVALID_REALTIME_TICKET', 'The realtime ticket is unknown, used or expired');
          }
        } else if (token) {
          data.userId = (await opts.verifyToken(token)).sub;
        }
      } catch (err) {
        release(data, { user: false });
        // Only a token the check refused is a 401: a lookup that failed (the database down or its
        // pool saturated) says nothing about the token, and a 401 would make clients drop it.
        if (!ticket && (err as { code?: unknown }).code === 'INVALID_TOKEN') {
          return refuse(401, 'INVALID_TOKEN', 'The token is invalid or expired');
        }
        return refuse(503, 'SERVICE_UNAVAILABLE', `Cannot check the ${ticket ? 'ticket' : 'token'} now; try again`);
      }
      if (data.userId && !perUser.take(data.userId)) {
        release(data, { user: false });
        return refuse(429, 'RATE_LIMITED', 'Too many live connections for this account');
      }
      return { ok: true, data };
    },

    /** The upgrade was admitted but the client went away before it completed. */
    abandoned(data: SocketData): void {
      release(data, { user: true });
    },

    closed(data: SocketData): void {
      if (data.closed) return;
      data.closed = true;
      release(data, { user: true });
    },

    message(socket: ChannelSocket, raw: ArrayBuffer | Buffer): void {
      const data = socket.data;
      if (data.closed) return;
      const now = Date.now();
      data.tokens = Math.min(burst, data.tokens + ((now - data.refilledAt) * limits.messagesPerSecond) / 1000);
      data.refilledAt = now;
      if (data.tokens < 1) {
        error(socket, 'RATE_LIMITED', `At most ${limits.messagesPerSecond} messages per second`);
        socket.end(CLOSE_POLICY, 'message rate exceeded');
        return;
      }
      data.tokens -= 1;
      let msg: { op?: unknown; topic?: unknown };
      try {
        msg = JSON.parse(Buffer.from(raw as ArrayBuffer).toString('utf8'));
        if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new Error('not an object');
      } catch {
        return error(socket, 'MALFORMED_MESSAGE', 'Messages are JSON objects');
      }
      // Usually answered at once; behind an event lookup, later messages wait so answers keep order.
      const result = data.pending ? data.pending.then(() => handle(socket, msg)) : handle(socket, msg);
      if (!result) return;
      data.pending = result;
      const done = () => {
        if (data.pending === result) data.pending = undefined;
      };
      result.then(done, done);
    },
  };
}

export type Channel = ReturnType<typeof createChannel>;
