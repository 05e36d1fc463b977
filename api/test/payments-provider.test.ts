// The Toss client against a provider that misbehaves on the wire: what it reports decides whether
// a buyer's order is released ("nothing was charged") or kept for reconciliation.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../src/modules/payments/provider.js';
import { createTossClient } from '../src/modules/payments/toss-client.js';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.closeAllConnections();
});

describe('Toss client: the outcome of a failed call', () => {
  it('a confirm whose first attempt timed out and whose retry was refused is "unknown", not "not sent"', async () => {
    let received = 0;
    // The provider takes the first confirm and never answers (it may have charged), then goes away.
    const server = createServer(() => {
      received++;
      server.close();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = createTossClient({
      baseUrl: () => `http://127.0.0.1:${port}`,
      secretKey: 'test_sk_provider_outcome',
      clientKey: 'test_ck_provider_outcome',
      timeoutMs: 300,
      maxAttempts: 2,
      log: async () => {},
    });
    const failure = await client
      .confirm({ paymentKey: 'pk_outcome_1', orderId: 'order-outcome-1', amount: 1000, idempotencyKey: 'idem-outcome-1' })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(received).toBe(1);
    expect(failure).toBeInstanceOf(ProviderError);
    // The last attempt never left (connection refused), but the first may have charged the buyer.
    expect((failure as ProviderError).code).toBe('NETWORK');
    expect((failure as ProviderError).outcome).toBe('unknown');
  });
});
