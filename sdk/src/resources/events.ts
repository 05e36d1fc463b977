import type { RequestOptions } from '../config.js';
import type { PagePromise } from '../transport.js';
import type { CreateEventBody, Event, EventDetail, ListEventsQuery, UpdateEventBody } from '../types.js';
import { Resource } from './resource.js';

/** The catalog of events: `/v1/events`. Reading is public; writing needs an admin. */
export class EventsResource extends Resource {
  /** Events, filtered by `status`, `q` (title/artist/venue, Korean or English), `from`, `to`. */
  list(query: ListEventsQuery = {}, options?: RequestOptions): PagePromise<Event> {
    return this.transport.list(query, options, (q, init) => this.http.GET('/v1/events', { params: { query: q }, ...init }));
  }

  /** One event with its ticket types. EVENT_NOT_FOUND → NotFoundError. */
  get(eventId: string, options?: RequestOptions): Promise<EventDetail> {
    return this.transport.call(options, (init) => this.http.GET('/v1/events/{eventId}', { params: { path: { eventId } }, ...init }));
  }

  /** Creates an event; with `seatLayoutId` its seats are generated from the layout. */
  create(body: CreateEventBody, options?: RequestOptions): Promise<EventDetail> {
    return this.transport.call(options, (init) => this.http.POST('/v1/events', { body, ...init }));
  }

  /** Changes an event (status moves only along its lifecycle: INVALID_STATUS_TRANSITION). */
  update(eventId: string, body: UpdateEventBody, options?: RequestOptions): Promise<EventDetail> {
    return this.transport.call(options, (init) =>
      this.http.PATCH('/v1/events/{eventId}', { params: { path: { eventId } }, body, ...init }),
    );
  }

  /** Deletes an event; refused with EVENT_HAS_SALES (ConflictError) once anything is sold. */
  delete(eventId: string, options?: RequestOptions): Promise<void> {
    return this.transport.send(options, (init) => this.http.DELETE('/v1/events/{eventId}', { params: { path: { eventId } }, ...init }));
  }
}
