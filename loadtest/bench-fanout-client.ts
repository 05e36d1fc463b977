// Child process of bench-fanout.ts: a share of the subscribers, so that receiving 10,000+ sockets'
// deliveries is spread over several processes instead of queueing in one.
// IPC in:  { op: 'connect', kind: 'ws' | 'socketio', url, topic, count, batch }
//          { op: 'measure', on: boolean }
//          { op: 'report', sentAt: number[] }   (publish time of each version, epoch ms)
//          { op: 'count' } | { op: 'stop' }
// IPC out: { connected } | { measuring } | { received } | { latencies: number[] } (ms from publish to receipt, one per delivery)
// Clock: epoch milliseconds with sub-millisecond precision (timeOrigin + now), the same system clock
// in every process on this machine.
import { performance } from 'node:perf_hooks';
import { io as ioClient, type Socket } from 'socket.io-client';
import WebSocket from 'ws';

const now = () => performance.timeOrigin + performance.now();
let measuring = false;
// Receipts as (version, time) pairs, grown as needed.
let versions = new Int32Array(1 << 16);
let times = new Float64Array(1 << 16);
let received = 0;
const record = (version: number) => {
  if (!measuring || version < 1) return;
  if (received === versions.length) {
    const v = new Int32Array(versions.length * 2);
    v.set(versions);
    versions = v;
    const t = new Float64Array(times.length * 2);
    t.set(times);
    times = t;
  }
  versions[received] = version;
  times[received++] = now();
};

const closers: Array<() => void> = [];

function connectOne(kind: 'ws' | 'socketio', url: string, topic: string): Promise<void> {
  if (kind === 'socketio') {
    return new Promise((resolve, reject) => {
      const socket: Socket = ioClient(url, { transports: ['websocket'], forceNew: true, reconnection: false });
      socket.on('message', (m: { version: number }) => record(m.version));
      socket.once('connect_error', reject);
      socket.once('connect', () => socket.emit('subscribe', topic, () => resolve()));
      closers.push(() => socket.close());
    });
  }
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('message', (data: Buffer) => {
      // The version is the last field; reading it without a full parse keeps this client cheap.
      const text = data.toString();
      if (text.startsWith('{"type":"subscribed"')) resolve();
      else if (text.startsWith('{"type":"seat.held"')) record(Number(text.slice(text.lastIndexOf(':') + 1, -1)));
    });
    ws.once('open', () => ws.send(JSON.stringify({ op: 'subscribe', topic })));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    closers.push(() => ws.terminate());
  });
}

type Command =
  | { op: 'connect'; kind: 'ws' | 'socketio'; url: string; topic: string; count: number; batch: number }
  | { op: 'measure'; on: boolean }
  | { op: 'report'; sentAt: number[] }
  | { op: 'count' }
  | { op: 'stop' };

process.on('message', async (m: Command) => {
  if (m.op === 'connect') {
    let connected = 0;
    for (let i = 0; i < m.count; i += m.batch) {
      const batch = await Promise.allSettled(
        Array.from({ length: Math.min(m.batch, m.count - i) }, () => connectOne(m.kind, m.url, m.topic)),
      );
      connected += batch.filter((r) => r.status === 'fulfilled').length;
    }
    process.send!({ connected });
  } else if (m.op === 'measure') {
    measuring = m.on;
    process.send!({ measuring });
  } else if (m.op === 'report') {
    const latencies = new Array<number>(received);
    for (let i = 0; i < received; i++) latencies[i] = times[i]! - m.sentAt[versions[i]!]!;
    process.send!({ latencies });
  } else if (m.op === 'count') {
    process.send!({ received });
  } else if (m.op === 'stop') {
    for (const close of closers) close();
    process.exit(0);
  }
});
process.send!({ ready: true });
