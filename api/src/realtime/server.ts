import { createRequire } from 'node:module';
import type { TemplatedApp, us_listen_socket, WebSocket } from 'uWebSockets.js';
import type { SharedState } from '../infra/shared-state.js';
import { REALTIME_CHANNEL, type RealtimeEnvelope } from './bus.js';

// uWebSockets.js is CommonJS with a native addon; the unofficial build falls back to a `ws` shim
// when no binary matches this Node ABI, so we say which one runs.
const require = createRequire(import.meta.url);
const uws = require('uWebSockets.js') as typeof import('uWebSockets.js');

/** `native` when the uWS C++ addon loaded, `shim` when the package fell back to its ws emulation. */
export const realtimeTransport: 'native' | 'shim' = /\[native code\]/.test(Function.prototype.toString.call(uws.App)) ? 'native' : 'shim';

interface SocketData {
  userId: string | null;
}

export interface RealtimeServer {
  port: number;
  transport: 'native' | 'shim';
  close(graceMs?: number): Promise<void>;
}

const SEAT_TOPIC = /^event\.([0-9a-f-]{36})\.seats$/;
const QUEUE_TOPIC = /^queue\.([0-9a-f-]{36})$/;

/**
 * The WebSocket channel at /v1/realtime. Messages for a topic arrive on the shared bus from
 * whichever API instance made the change, and every instance delivers them to its own sockets.
 */
export async function startRealtimeServer(opts: {
  host: string;
  port: number;
  shared: SharedState;
  verifyToken: (token: string) => Promise<{ sub: string }>;
}): Promise<RealtimeServer> {
  const app: TemplatedApp = uws.App();
  // Open sockets, so close() can end each with 1001 (going away) on shutdown.
  const sockets = new Set<WebSocket<SocketData>>();
  let allClosed: (() => void) | undefined;
  const send = (ws: WebSocket<SocketData>, message: object): void => {
    ws.send(JSON.stringify(message), false);
  };

  app.ws<SocketData>('/v1/realtime', {
    maxPayloadLength: 4 * 1024,
    idleTimeout: 120,
    maxBackpressure: 1024 * 1024,
    upgrade: (res, req, context) => {
      const token = new URLSearchParams(req.getQuery() ?? '').get('token');
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      const accept = (userId: string | null) => {
        if (aborted) return;
        res.cork(() => res.upgrade<SocketData>({ userId }, key, protocol, extensions, context));
      };
      if (!token) return accept(null);
      opts.verifyToken(token).then(
        (claims) => accept(claims.sub),
        () => {
          if (!aborted) res.cork(() => res.writeStatus('401 Unauthorized').end('invalid token'));
        },
      );
    },
    open: (ws) => {
      sockets.add(ws);
    },
    close: (ws) => {
      sockets.delete(ws);
      if (!sockets.size) allClosed?.();
    },
    message: (ws, raw) => {
      let msg: { op?: unknown; topic?: unknown };
      try {
        msg = JSON.parse(Buffer.from(raw).toString('utf8'));
      } catch {
        return send(ws, { type: 'error', code: 'MALFORMED_MESSAGE', message: 'Messages are JSON objects' });
      }
      const data = ws.getUserData();
      if (msg.op === 'ping') return send(ws, { type: 'pong' });
      if (msg.op !== 'subscribe' && msg.op !== 'unsubscribe') {
        return send(ws, { type: 'error', code: 'UNKNOWN_OP', message: 'op is subscribe, unsubscribe or ping' });
      }
      const topic = typeof msg.topic === 'string' ? msg.topic : '';
      let internal: string | undefined;
      if (SEAT_TOPIC.test(topic)) internal = topic;
      const queue = QUEUE_TOPIC.exec(topic);
      if (queue) {
        if (!data.userId)
          return send(ws, { type: 'error', code: 'AUTHENTICATION_REQUIRED', message: 'Connect with ?token= to follow your queue place' });
        internal = `queue.${queue[1]}.${data.userId}`;
      }
      if (!internal) return send(ws, { type: 'error', code: 'UNKNOWN_TOPIC', message: `No topic ${topic}` });
      if (msg.op === 'subscribe') ws.subscribe(internal);
      else ws.unsubscribe(internal);
      send(ws, { type: msg.op === 'subscribe' ? 'subscribed' : 'unsubscribed', topic });
    },
  });
  app.any('/*', (res) => {
    res.writeStatus('404 Not Found').end('WebSocket endpoint is /v1/realtime');
  });

  await opts.shared.subscribe(REALTIME_CHANNEL, (raw) => {
    const envelope = JSON.parse(raw) as RealtimeEnvelope;
    app.publish(envelope.topic, JSON.stringify(envelope.message), false);
  });

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(opts.host, opts.port, (socket) =>
      socket ? resolve(socket) : reject(new Error(`realtime: cannot listen on ${opts.host}:${opts.port}`)),
    );
  });
  return {
    port: uws.us_socket_local_port(listenSocket),
    transport: realtimeTransport,
    /** Stops listening, ends every socket with 1001 and waits (up to `graceMs`) for them to close. */
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
