import type { IncomingMessage, Server } from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Lets clients open the realtime channel on the API's own port (ws://host:PORT/v1/realtime, as the
 * contract puts it) by handing the upgrade, bytes untouched, to the uWebSockets.js listener on
 * REALTIME_PORT. uWS still does all WebSocket work; this is a byte pipe. Deployments that route
 * /v1/realtime to REALTIME_PORT directly (see deploy/k8s) skip the extra hop.
 */
export function forwardRealtimeUpgrades(server: Server, realtimePort: number, host = '127.0.0.1'): void {
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!req.url?.startsWith('/v1/realtime')) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    const upstream = net.connect(realtimePort, host, () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    const close = () => {
      upstream.destroy();
      socket.destroy();
    };
    upstream.on('error', close);
    socket.on('error', close);
    upstream.on('close', close);
    socket.on('close', close);
  });
}
