import type { RequestOptions } from '../config.js';
import type { PagePromise } from '../transport.js';
import type { ApiKey, CreateApiKeyBody, CreatedApiKey, ListApiKeysQuery } from '../types.js';
import { Resource } from './resource.js';

/** Admin API keys for scripts and CI (admin only): `/v1/api-keys`. */
export class ApiKeysResource extends Resource {
  /** Creates a key; `secret` (tk_...) is in this answer only. */
  create(body: CreateApiKeyBody, options?: RequestOptions): Promise<CreatedApiKey> {
    return this.transport.call(options, (init) => this.http.POST('/v1/api-keys', { body, ...init }));
  }

  /** Keys, newest first: await for one page, or `for await` over all. */
  list(query: ListApiKeysQuery = {}, options?: RequestOptions): PagePromise<ApiKey> {
    return this.transport.list(query, options, (q, init) => this.http.GET('/v1/api-keys', { params: { query: q }, ...init }));
  }

  /** Revokes a key; it stops working at once. Returns the key with `revokedAt` set. */
  revoke(keyId: string, options?: RequestOptions): Promise<ApiKey> {
    return this.transport.call(options, (init) => this.http.DELETE('/v1/api-keys/{keyId}', { params: { path: { keyId } }, ...init }));
  }
}
