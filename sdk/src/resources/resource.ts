import type { Transport } from '../transport.js';

/** Base of every namespace (`client.auth`, `client.events` ...): each method is one typed call. */
export abstract class Resource {
  constructor(protected readonly transport: Transport) {}

  protected get http() {
    return this.transport.http;
  }
}
