// The channel on the `ws` package, for when uWebSockets.js has no native build for this Node
// (Node 22+) or UWS_USE_FALLBACK is set. The package's own fallback cannot serve us: it throws
// "not implemented" on custom upgrades, and has no topics or publish. Same protocol and bounds as
// the native server; topics are a Map of Sets here.
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { FORWARDED_HEADER, refusalBody, type Admission, type Channel, type ChannelSocket, type SocketData } from './channel.js';
import type { RealtimeLimits } from './limits.js';

const MAX_BUFFERED = 1024 * 1024; // as uWS's maxBackpressure: a slow client misses messages past this
const HEARTBEAT_MS = 60_000; // a socket that answers no ping within a minute is dropped (uWS: idleTimeout)

const STATUS_TEXT: Record<number, string> = { 401: 'Unauthorized', 429: 'Too Many Requests', 503: 'Service Unavailable' };

interface Conn extends ChannelSocket {
  ws: WebSocket;
  topics: Set<string>;
  alive: boolean;
}

export async function startWsTransport(opts: { host: string; port: number; channel: Channel; limits: RealtimeLimits }) {
  const { channel } = opts;
  const topics = new Map<string, Set<Conn>>();
  const conns = new Set<Conn>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.limits.maxMessageBytes, perMessageDeflate: false });
  const http = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('WebSocket endpoint is /v1/realtime');
  });

  const refuse = (socket: Duplex, refusal: Extract<Admission, { ok: false }>, body: string) => {
    const head = [
      `HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status] ?? 'Error'}`,
      'Connection: close',
      'Content-Type: application/problem+json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      ...(refusal.status === 401 ? [] : ['Retry-After: 5']),
    ];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  };

  const accept = (req: IncomingMessage, socket: Duplex, head: Buffer, data: SocketData) => {
    // ws gives up on a bad handshake without calling back; the admitted slot must come back then.
    let upgraded = false;
    socket.once('close', () => {
      if (!upgraded) channel.abandoned(data);
    });
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      const conn: Conn = {
        ws,
        data,
        topics: new Set(),
        alive: true,
        send: (text) => ws.send(text),
        subscribe(topic) {
          conn.topics.add(topic);
          let set = topics.get(topic);
          if (!set) topics.set(topic, (set = new Set()));
          set.add(conn);
        },
        unsubscribe(topic) {
          if (!conn.topics.delete(topic)) return false;
          const set = topics.get(topic);
          set?.delete(conn);
          if (set?.size === 0) topics.delete(topic);
          return true;
        },
        isSubscribed: (topic) => conn.topics.has(topic),
        topicCount: () => conn.topics.size,
        end: (code, reason) => ws.close(code, reason),
      };
      conns.add(conn);
      ws.on('message', (raw: Buffer) => channel.message(conn, raw));
      ws.on('pong', () => (conn.alive = true));
      // A message over maxPayload arrives here (and ws closes with 1009); nothing else to do.
      ws.on('error', () => {});
      ws.on('close', () => {
        for (const topic of [...conn.topics]) conn.unsubscribe(topic);
        conns.delete(conn);
        channel.closed(data);
      });
    });
  };

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/v1/realtime') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(',') : v;
    };
    const request = {
      peerIp: req.socket.remoteAddress ?? '',
      query: new URL(req.url ?? '/', 'http://x').search,
      forwardedFor: header('x-forwarded-for'),
      forwardedBy: header(FORWARDED_HEADER),
    };
    void channel.admit(request).then((admission) => {
      if (!admission.ok) return refuse(socket, admission, refusalBody(admission));
      if (socket.destroyed) return channel.abandoned(admission.data);
      accept(req, socket, head, admission.data);
    });
  });

  const heartbeat = setInterval(() => {
    for (const conn of conns) {
      if (!conn.alive) conn.ws.terminate();
      else {
        conn.alive = false;
        conn.ws.ping();
      }
    }
  }, HEARTBEAT_MS).unref();

  await new Promise<void>((resolve, reject) => {
    http.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`realtime: cannot listen on ${opts.host}:${opts.port} (${err.code ?? err.message})`)),
    );
    http.listen({ host: opts.host, port: opts.port }, resolve);
  });
  const address = http.address();

  return {
    port: typeof address === 'object' && address ? address.port : opts.port,
    hasSubscribers(topic: string) {
      return (topics.get(topic)?.size ?? 0) > 0;
    },
    publish(topic: string, text: string) {
      const set = topics.get(topic);
      if (!set) return;
      for (const conn of set) if (conn.ws.bufferedAmount <= MAX_BUFFERED) conn.ws.send(text);
    },
    /** Stops listening, ends every socket with 1001 (going away) and waits up to `graceMs` for them. */
    async close(graceMs = 2000) {
      clearInterval(heartbeat);
      http.close();
      const closing = [...conns].map(
        (conn) =>
          new Promise<void>((resolve) => {
            conn.ws.once('close', () => resolve());
            conn.ws.close(1001, 'server shutting down');
          }),
      );
      await Promise.race([Promise.all(closing), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
      for (const conn of conns) conn.ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
    },
  };
}
