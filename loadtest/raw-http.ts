// A minimal keep-alive HTTP/1.1 client for the load generator: one request in flight per
// connection, requests written as prebuilt strings, answers parsed just enough (status line,
// Content-Length, body). Why not undici: measured in bench-holds, undici cost 0.12-0.15 ms of CPU
// per request, a fifth of this 2-core machine that the API and PostgreSQL under test also share;
// this client costs a fraction of that. It only speaks to our own API on loopback, which always
// answers with Content-Length (never chunked), and it fails loudly on anything else.
import net from 'node:net';

export interface RawAnswer {
  status: number;
  body: string;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export class RawHttpConnection {
  private readonly socket: net.Socket;
  private readonly ready: Promise<void>;
  private pending: { resolve: (a: RawAnswer) => void; reject: (e: Error) => void } | undefined;
  private buffer: Buffer = Buffer.alloc(0);

  constructor(
    private readonly port: number,
    private readonly host = '127.0.0.1',
  ) {
    this.socket = net.connect({ port, host, noDelay: true });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  async request(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawAnswer> {
    await this.ready;
    if (this.pending) throw new Error('one request at a time per connection');
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.host}:${this.port}\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    if (body !== undefined) head += `content-length: ${Buffer.byteLength(body)}\r\n`;
    return new Promise<RawAnswer>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(body === undefined ? `${head}\r\n` : `${head}\r\n${body}`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer) {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const end = this.buffer.indexOf(HEADER_END);
    if (end < 0) return;
    const head = this.buffer.toString('latin1', 0, end);
    const match = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!match) return this.fail(new Error(`answer without Content-Length: ${head.slice(0, 200)}`));
    const bodyStart = end + 4;
    const bodyEnd = bodyStart + Number(match[1]);
    if (this.buffer.length < bodyEnd) return;
    const answer = { status: Number(head.slice(9, 12)), body: this.buffer.toString('utf8', bodyStart, bodyEnd) };
    this.buffer = this.buffer.subarray(bodyEnd);
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(answer);
  }

  private fail(err: Error) {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(err);
  }
}
