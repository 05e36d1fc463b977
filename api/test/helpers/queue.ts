// Helpers of the waiting-room tests: a realtime client that records messages, polling until a
// condition holds (tied to state, never a fixed sleep), and the queue calls.
import WebSocket from 'ws';
import { bearer, type TestApp } from '../../../test/harness/app.js';

export type Message = Record<string, unknown>;

export interface LiveClient {
  messages: Message[];
  next(predicate: (m: Message) => boolean, timeoutMs?: number): Promise<Message>;
  send(message: object): void;
  close(): void;
}

/** A WebSocket on the instance's realtime port, signed in with `token` when given. */
export async function connectLive(t: TestApp, token?: string): Promise<LiveClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${t.realtime!.port}/v1/realtime${token ? `?token=${token}` : ''}`);
  const messages: Message[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    messages.push(JSON.parse(data.toString()) as Message);
    waiters.splice(0).forEach((w) => w());
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    messages,
    send: (message) => ws.send(JSON.stringify(message)),
    close: () => ws.close(),
    next(predicate, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message; got ${JSON.stringify(messages)}`)), timeoutMs);
        const check = () => {
          const found = messages.find(predicate);
          if (found) {
            clearTimeout(timer);
            resolve(found);
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** Subscribes and waits for the server's confirmation. */
export async function subscribe(client: LiveClient, topic: string) {
  client.send({ op: 'subscribe', topic });
  await client.next((m) => m.type === 'subscribed' && m.topic === topic);
}

/** Polls `probe` until it returns a value (not undefined); fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function queueCalls(t: Pick<TestApp, 'app'>, eventId: string) {
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, token?: string, payload?: object) =>
    t.app.inject({ method, url: `/v1/events/${eventId}/queue${path}`, headers: token ? bearer(token) : {}, payload });
  return {
    settings: () => call('GET', ''),
    configure: (adminToken: string, patch: object) => call('PATCH', '', adminToken, patch),
    join: (token: string) => call('POST', '/join', token),
    me: (token: string) => call('GET', '/me', token),
    leave: (token: string) => call('DELETE', '/me', token),
    admit: (adminToken: string, count: number) => call('POST', '/admit', adminToken, { count }),
    hold: (token: string, body: object, queueToken?: string) =>
      t.app.inject({
        method: 'POST',
        url: `/v1/events/${eventId}/holds`,
        headers: { ...bearer(token), ...(queueToken ? { 'x-queue-token': queueToken } : {}) },
        payload: body,
      }),
  };
}
