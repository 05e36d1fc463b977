import { randomBytes } from 'node:crypto';
import type { HttpResponse, TemplatedApp, us_listen_socket, WebSocket } from 'uWebSockets.js';
import type { Config } from '../config.js';
import type { Queryable } from '../infra/db.js';
import type { SharedState } from '../infra/shared-state.js';
import { QUEUE_POSITIONS_CHANNEL, REALTIME_CHANNEL, queuePositionMessage, type QueuePositions, type RealtimeEnvelope } from './bus.js';
import {
  FORWARDED_HEADER,
  createChannel,
  refusalBody,
  type Admission,
  type Channel,
  type ChannelSocket,
  type SocketData,
} from './channel.js';
import { realtimeLimits, type RealtimeLimits } from './limits.js';
import { loadUws, type UwsChoice } from './uws.js';
import { startWsTransport } from './ws-transport.js';

// uWebSockets.js is CommonJS with a native addon: uws.ts picks the build for this Node and C library
// (current, legacy, or none), so we say which one runs.
export const uwsChoice: UwsChoice = loadUws();
const uws = uwsChoice.uws;

/**
 * `native` when a uWS C++ addon loaded; `shim` when none has a binary for this Node and C library (or
 * UWS_USE_FALLBACK is set). The packages' own JavaScript emulation lacks custom upgrades, topics and
 * publish, so on `shim` the channel runs on the `ws` package directly (ws-transport.ts): same protocol
 * and bounds, more memory and CPU per socket.
 */
export const realtimeTransport: 'native' | 'shim' = uwsChoice.loaded === 'shim' ? 'shim' : 'native';

export interface RealtimeServer {
  port: number;
  transport: 'native' | 'shim';
  /** Open sockets (including upgrades being authenticated) and the limits in force. */
  readonly connections: number;
  readonly limits: RealtimeLimits;
  /** Secret the API-port forwarder presents to have its clients' addresses trusted (upgrade-forwarder.ts). */
  readonly forwardSecret: string;
  close(graceMs?: number): Promise<void>;
}

export interface RealtimeServerOptions {
  host: string;
  port: number;
  shared: SharedState;
  verifyToken: (token: string) => Promise<{ sub: string }>;
  /** For the cached check that a topic's event exists. */
  db: Queryable;
  /** Limits come from REALTIME_* settings; `limits` overrides single ones (tests). */
  config: Config;
  limits?: Partial<RealtimeLimits>;
  /** Force the `ws` transport even where the native build loaded (tests of the fallback). */
  transport?: 'native' | 'shim';
}

const STATUS_LINE: Record<number, string> = { 401: '401 Unauthorized', 429: '429 Too Many Requests', 503: '503 Service Unavailable' };

/**
 * The WebSocket channel at /v1/realtime. Messages for a topic arrive on the shared bus from
 * whichever API instance made the change, and every instance delivers them to its own sockets.
 */
export async function startRealtimeServer(opts: RealtimeServerOptions): Promise<RealtimeServer> {
  const limits = { ...realtimeLimits(opts.config), ...opts.limits };
  const forwardSecret = randomBytes(18).toString('base64url');
  const channel = createChannel({ shared: opts.shared, db: opts.db, verifyToken: opts.verifyToken, limits, forwardSecret });
  // No native build loaded: the `ws` transport, whatever was asked.
  const native = opts.transport !== 'shim' ? uws : undefined;
  const transport = native ? 'native' : 'shim';
  const server = native
    ? await startNative(native, opts, channel, limits)
    : await startWsTransport({ host: opts.host, port: opts.port, channel, limits });

  await opts.shared.subscribe(REALTIME_CHANNEL, (raw) => {
    const envelope = JSON.parse(raw) as RealtimeEnvelope;
    server.publish(envelope.topic, JSON.stringify(envelope.message));
  });
  // A message only for the waiting users connected here (most are on other instances).
  await opts.shared.subscribe(QUEUE_POSITIONS_CHANNEL, (raw) => {
    const positions = JSON.parse(raw) as QueuePositions;
    const prefix = `queue.${positions.eventId}.`;
    positions.userIds.forEach((userId, index) => {
      const topic = prefix + userId;
      if (server.hasSubscribers(topic)) server.publish(topic, JSON.stringify(queuePositionMessage(positions, index)));
    });
  });

  return {
    port: server.port,
    transport,
    get connections() {
      return channel.connections;
    },
    limits,
    forwardSecret,
    close: (graceMs) => server.close(graceMs),
  };
}

async function startNative(uws: NonNullable<UwsChoice['uws']>, opts: RealtimeServerOptions, channel: Channel, limits: RealtimeLimits) {
  const app: TemplatedApp = uws.App();
  // Open sockets, so close() can end each with 1001 (going away) on shutdown.
  const sockets = new Set<WebSocket<SocketData>>();
  let allClosed: (() => void) | undefined;
  const adapt = (ws: WebSocket<SocketData>): ChannelSocket => ({
    data: ws.getUserData(),
    send: (text) => void ws.send(text, false),
    subscribe: (topic) => void ws.subscribe(topic),
    unsubscribe: (topic) => ws.unsubscribe(topic),
    isSubscribed: (topic) => ws.isSubscribed(topic),
    topicCount: () => ws.getTopics().length,
    end: (code, reason) => ws.end(code, reason),
  });
  const refuse = (res: HttpResponse, refusal: Extract<Admission, { ok: false }>) => {
    res.cork(() => {
      res.writeStatus(STATUS_LINE[refusal.status] ?? `${refusal.status} Error`).writeHeader('content-type', 'application/problem+json');
      if (refusal.status !== 401) res.writeHeader('retry-after', '5');
      res.end(refusalBody(refusal), true);
    });
  };

  app.ws<SocketData>('/v1/realtime', {
    maxPayloadLength: limits.maxMessageBytes,
    idleTimeout: 120,
    maxBackpressure: 1024 * 1024, // a slow client misses messages past 1 MB queued (it refetches on a gap)
    upgrade: (res, req, context) => {
      // Everything from req is read now: it is gone after the first await.
      const request = {
        peerIp: Buffer.from(res.getRemoteAddressAsText()).toString(),
        query: req.getQuery() ?? '',
        forwardedFor: req.getHeader('x-forwarded-for') || undefined,
        forwardedBy: req.getHeader(FORWARDED_HEADER) || undefined,
      };
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      void channel.admit(request).then((admission) => {
        if (!admission.ok) {
          if (!aborted) refuse(res, admission);
          return;
        }
        if (aborted) return channel.abandoned(admission.data);
        res.cork(() => res.upgrade<SocketData>(admission.data, key, protocol, extensions, context));
      });
    },
    open: (ws) => {
      sockets.add(ws);
    },
    message: (ws, raw) => channel.message(adapt(ws), raw),
    close: (ws) => {
      sockets.delete(ws);
      if (!sockets.size) allClosed?.();
      channel.closed(ws.getUserData());
    },
  });
  app.any('/*', (res) => {
    res.writeStatus('404 Not Found').end('WebSocket endpoint is /v1/realtime');
  });

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(opts.host, opts.port, (socket) =>
      socket ? resolve(socket) : reject(new Error(`realtime: cannot listen on ${opts.host}:${opts.port}`)),
    );
  });
  return {
    port: uws.us_socket_local_port(listenSocket),
    publish: (topic: string, text: string) => void app.publish(topic, text, false),
    hasSubscribers: (topic: string) => app.numSubscribers(topic) > 0,
    /** Stops listening, ends every socket with 1001 (going away) and waits up to `graceMs` for them. */
    async close(graceMs = 2000) {
      uws.us_listen_socket_close(listenSocket);
      if (sockets.size) {
        const drained = new Promise<void>((resolve) => {
          allClosed = resolve;
          setTimeout(resolve, graceMs).unref();
        });
        for (const ws of [...sockets]) ws.end(1001, 'server shutting down');
        await drained;
      }
      (app as { close?: () => void }).close?.();
    },
  };
}
