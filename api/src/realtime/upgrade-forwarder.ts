import type { IncomingMessage, Server } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { FORWARDED_HEADER } from './channel.js';
import { clientIp } from './limits.js';
import type { RealtimeServer } from './server.js';

/**
 * A convenience: lets clients open the realtime channel on the API's own port
 * (ws://host:PORT/v1/realtime, as the contract puts it) by handing the upgrade, bytes untouched, to
 * the realtime listener on REALTIME_PORT. It is dear: per socket three file handles instead of one,
 * 1.4–3× the CPU per delivered message and ~5 KB more memory (BENCHMARKS.md, fan-out), and it shares the
 * event loop with the API's requests. So it has its own cap (REALTIME_MAX_PIPED_CONNECTIONS), and
 * production routes /v1/realtime to REALTIME_PORT at the ingress (deploy/k8s) and sets
 * PUBLIC_REALTIME_URL, which the SDK prefers once the API tells it (realtime ticket `url`).
 */
export function forwardRealtimeUpgrades(server: Server, realtime: RealtimeServer, host = '127.0.0.1'): { readonly open: number } {
  let open = 0;
  const { maxPipedConnections, maxConnections, trustedProxyHops } = realtime.limits;
  const refuse = (socket: Duplex, status: string, code: string) => {
    const body = JSON.stringify({ title: 'The live channel is at its connection limit', code, status: Number(status.slice(0, 3)) });
    socket.end(
      `HTTP/1.1 ${status}\r\nConnection: close\r\nRetry-After: 5\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    if (!req.url?.startsWith('/v1/realtime')) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // Refused here, before any upstream socket exists: surplus costs no extra file handle.
    if (open >= maxPipedConnections || realtime.connections >= maxConnections) {
      refuse(socket, '503 Service Unavailable', 'REALTIME_CAPACITY_REACHED');
      return;
    }
    open++;
    const forwardedFor = req.headers['x-forwarded-for'];
    const ip = clientIp(
      req.socket.remoteAddress ?? '',
      Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor,
      trustedProxyHops,
    );
    const upstream = net.connect(realtime.port, host, () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        // A client's own copy of the header would let it pick its address; only ours goes through.
        if (req.rawHeaders[i]!.toLowerCase() !== FORWARDED_HEADER) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      }
      lines.push(`${FORWARDED_HEADER}: ${realtime.forwardSecret} ${ip}`);
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      open--;
      upstream.destroy();
      socket.destroy();
    };
    upstream.on('error', close);
    socket.on('error', close);
    upstream.on('close', close);
    socket.on('close', close);
  });
  return {
    get open() {
      return open;
    },
  };
}
