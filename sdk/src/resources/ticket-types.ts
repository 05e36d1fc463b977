import type { RequestOptions } from '../config.js';
import type { CreateTicketTypeBody, TicketType, UpdateTicketTypeBody } from '../types.js';
import { Resource } from './resource.js';

/** Price categories of an event (VIP, R, S ...), seated or general admission. */
export class TicketTypesResource extends Resource {
  /** All ticket types of an event (not paged: an event has a handful). */
  async list(eventId: string, options?: RequestOptions): Promise<TicketType[]> {
    const result = await this.transport.call(options, (init) =>
      this.http.GET('/v1/events/{eventId}/ticket-types', { params: { path: { eventId } }, ...init }),
    );
    return result.data;
  }

  /** Admin. */
  create(eventId: string, body: CreateTicketTypeBody, options?: RequestOptions): Promise<TicketType> {
    return this.transport.call(options, (init) =>
      this.http.POST('/v1/events/{eventId}/ticket-types', { params: { path: { eventId } }, body, ...init }),
    );
  }

  /** Admin. TICKET_TYPE_IN_USE → ConflictError. */
  update(ticketTypeId: string, body: UpdateTicketTypeBody, options?: RequestOptions): Promise<TicketType> {
    return this.transport.call(options, (init) =>
      this.http.PATCH('/v1/ticket-types/{ticketTypeId}', { params: { path: { ticketTypeId } }, body, ...init }),
    );
  }
}
