import type { SharedState } from '../infra/shared-state.js';

/** Bus channel that carries every realtime message to every API instance. */
export const REALTIME_CHANNEL = 'realtime';

export interface RealtimeEnvelope {
  /** uWS topic: `event.{id}.seats`, or `queue.{eventId}.{userId}` for one user's place. */
  topic: string;
  message: Record<string, unknown>;
}

export type SeatChangeType = 'seat.held' | 'seat.released' | 'seat.sold';

/** What domain modules call to tell connected clients about a change. */
export function createRealtimePublisher(shared: SharedState) {
  const publish = (envelope: RealtimeEnvelope) => shared.publish(REALTIME_CHANNEL, JSON.stringify(envelope));
  return {
    seatsChanged(eventId: string, type: SeatChangeType, seatIds: string[], version: number) {
      return publish({ topic: `event.${eventId}.seats`, message: { type, eventId, seatIds, version } });
    },
    /** General admission: the event's quantities left, on its seat topic; `version` orders these messages. */
    availability(eventId: string, ticketTypes: Array<{ id: string; available: number }>, version: number) {
      return publish({ topic: `event.${eventId}.seats`, message: { type: 'availability', eventId, ticketTypes, version } });
    },
    toQueueMember(eventId: string, userId: string, message: Record<string, unknown>) {
      return publish({ topic: `queue.${eventId}.${userId}`, message: { eventId, ...message } });
    },
  };
}

export type RealtimePublisher = ReturnType<typeof createRealtimePublisher>;
