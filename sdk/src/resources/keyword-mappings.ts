import type { RequestOptions } from '../config.js';
import type { PagePromise } from '../transport.js';
import type { CreateKeywordMappingBody, KeywordMapping, ListQuery } from '../types.js';
import { Resource } from './resource.js';

/** Korean ↔ English search terms (아이유 ↔ IU), admin only: `/v1/keyword-mappings`. */
export class KeywordMappingsResource extends Resource {
  list(query: ListQuery = {}, options?: RequestOptions): PagePromise<KeywordMapping> {
    return this.transport.list(query, options, (q, init) => this.http.GET('/v1/keyword-mappings', { params: { query: q }, ...init }));
  }

  /** KEYWORD_MAPPING_EXISTS → ConflictError. */
  create(body: CreateKeywordMappingBody, options?: RequestOptions): Promise<KeywordMapping> {
    return this.transport.call(options, (init) => this.http.POST('/v1/keyword-mappings', { body, ...init }));
  }

  delete(mappingId: string, options?: RequestOptions): Promise<void> {
    return this.transport.send(options, (init) =>
      this.http.DELETE('/v1/keyword-mappings/{mappingId}', { params: { path: { mappingId } }, ...init }),
    );
  }
}
