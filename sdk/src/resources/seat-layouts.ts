import type { RequestOptions } from '../config.js';
import type { PagePromise } from '../transport.js';
import type { CreateSeatLayoutBody, ListQuery, SeatLayout } from '../types.js';
import { Resource } from './resource.js';

/** Seat layout templates (sections, rows, seats per row, prices): `/v1/seat-layouts`. */
export class SeatLayoutsResource extends Resource {
  list(query: ListQuery = {}, options?: RequestOptions): PagePromise<SeatLayout> {
    return this.transport.list(query, options, (q, init) => this.http.GET('/v1/seat-layouts', { params: { query: q }, ...init }));
  }

  /** LAYOUT_NOT_FOUND → NotFoundError. */
  get(layoutId: string, options?: RequestOptions): Promise<SeatLayout> {
    return this.transport.call(options, (init) =>
      this.http.GET('/v1/seat-layouts/{layoutId}', { params: { path: { layoutId } }, ...init }),
    );
  }

  /** Admin. INVALID_LAYOUT → ValidationError, LAYOUT_NAME_TAKEN → ConflictError. */
  create(body: CreateSeatLayoutBody, options?: RequestOptions): Promise<SeatLayout> {
    return this.transport.call(options, (init) => this.http.POST('/v1/seat-layouts', { body, ...init }));
  }
}
