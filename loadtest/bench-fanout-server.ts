// Child process of bench-fanout.ts: one server under test, driven over IPC.
//   BENCH_FANOUT_SERVER=tiketi    the API as `npm start` assembles it (app, realtime listener, API-port pipe)
//   BENCH_FANOUT_SERVER=socketio  a minimal Socket.IO 4 server: rooms per topic, the same messages
// IPC in: { op: 'publish', topic, message } | { op: 'gc' } | { op: 'stop' }; out: { ready, port, realtimePort } | { rss }
// (rss after a forced GC, less the V8 heap's free space).
import http from 'node:http';
import { readFileSync } from 'node:fs';

type Publish = (topic: string, message: Record<string, unknown>) => void;

const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;

async function startTiketi(): Promise<{ port: number; realtimePort: number; publish: Publish; stop: () => Promise<void> }> {
  const { buildApp } = await import('../api/src/app.js');
  const { loadConfig } = await import('../api/src/config.js');
  const { createPool } = await import('../api/src/infra/db.js');
  const { connectSharedState } = await import('../api/src/infra/shared-state.js');
  const { createAuthService } = await import('../api/src/modules/auth/service.js');
  const { startRealtimeServer } = await import('../api/src/realtime/server.js');
  const { forwardRealtimeUpgrades } = await import('../api/src/realtime/upgrade-forwarder.js');
  const { REALTIME_CHANNEL } = await import('../api/src/realtime/bus.js');
  const config = loadConfig();
  const db = createPool(config.DATABASE_URL!, config.DATABASE_POOL_MAX);
  const shared = await connectSharedState(config.REDIS_URL, config.REDIS_PREFIX);
  const authService = createAuthService(config, db);
  const app = await buildApp({ config, db, shared, logger: false, authService });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const realtime = await startRealtimeServer({ host: '127.0.0.1', port: 0, shared, verifyToken: authService.verifyToken, db, config });
  forwardRealtimeUpgrades(app.server, realtime);
  const address = app.server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    realtimePort: realtime.port,
    // What createRealtimePublisher does for a seat change: the envelope on the shared bus.
    publish: (topic, message) => void shared.publish(REALTIME_CHANNEL, JSON.stringify({ topic, message })),
    async stop() {
      await realtime.close();
      await app.close();
      await db.end();
      await shared.close();
    },
  };
}

async function startSocketIo(): Promise<{ port: number; realtimePort: number; publish: Publish; stop: () => Promise<void> }> {
  const { Server } = await import('socket.io');
  const server = http.createServer();
  const io = new Server(server, { transports: ['websocket'], serveClient: false, perMessageDeflate: false, httpCompression: false });
  io.on('connection', (socket) => {
    socket.on('subscribe', (topic: unknown, ack?: (m: object) => void) => {
      if (typeof topic !== 'string') return;
      void socket.join(topic);
      ack?.({ type: 'subscribed', topic });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    realtimePort: port,
    publish: (topic, message) => void io.to(topic).emit('message', message),
    stop: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
}

const kind = process.env.BENCH_FANOUT_SERVER ?? 'tiketi';
const server = kind === 'socketio' ? await startSocketIo() : await startTiketi();
process.on('message', (m: { op: string; topic?: string; message?: Record<string, unknown> }) => {
  if (m.op === 'publish') server.publish(m.topic!, m.message!);
  else if (m.op === 'gc') {
    (globalThis as { gc?: () => void }).gc?.();
    // RSS less the V8 heap's free space: pages V8 keeps after a GC are not the sockets' cost.
    const m = process.memoryUsage();
    process.send!({ rss: rss() - (m.heapTotal - m.heapUsed) });
  } else if (m.op === 'stop') void server.stop().finally(() => process.exit(0));
});
process.send!({ ready: true, port: server.port, realtimePort: server.realtimePort });
