// Helpers of the waiting-room tests: a realtime client that records messages, polling until a
// condition holds (tied to state, never a fixed sleep), and the queue calls.
import { bearer, type TestApp } from '../../../test/harness/app.js';
import { wsConnect } from '../../../test/harness/ws-client.js';

export type Message = Record<string, unknown>;

export interface LiveClient {
  messages: Message[];
  next(predicate: (m: Message) => boolean, timeoutMs?: number): Promise<Message>;
  send(message: object): void;
  close(): void;
}

/** A WebSocket on the instance's realtime port, signed in with `token` when given. */
export async function connectLive(t: TestApp, token?: string): Promise<LiveClient> {
  const client = await wsConnect(`ws://127.0.0.1:${t.realtime!.port}/v1/realtime${token ? `?token=${token}` : ''}`);
  return { messages: client.messages, next: client.next, send: client.send, close: () => client.ws.close() };
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
