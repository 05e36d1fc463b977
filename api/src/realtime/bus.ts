import type { SharedState } from '../infra/shared-state.js';

/** Bus channel that carries every realtime message to every API instance. */
export const REALTIME_CHANNEL = 'realtime';
/** Bus channel of queue position announcements, read only by instances that serve the live channel. */
export const QUEUE_POSITIONS_CHANNEL = 'queue-positions';

export interface RealtimeEnvelope {
  /** uWS topic: `event.{id}.seats`, or `queue.{eventId}.{userId}` for one user's place. */
  topic: string;
  message: Record<string, unknown>;
}

/**
 * Every waiting user's place after the line moved, in one bus message per event and announcement;
 * each instance turns it into `queue.position` messages for the users connected to it. One bus
 * message per waiting user was 50,000 Redis publishes a second at 50,000 waiting users, each read
 * and parsed by every instance: the full on-sale's four instances and its Redis fell behind, Redis
 * commands timed out at 500 ms and holds and confirms failed with 503.
 */
export interface QueuePositions {
  eventId: string;
  /** Waiting users in line order: position = index + 1. */
  userIds: string[];
  /** Admissions per second the ETA assumes; 0 = no ETA (paused, nothing measured). */
  rate: number;
  /** Seconds until the line opens (0 once open), added to every ETA. */
  untilOpenSeconds: number;
}

/** Seconds until `position` is let in, at `rate` admissions a second once the line opens; null without a pace. */
export function queueEtaSeconds(basis: Pick<QueuePositions, 'rate' | 'untilOpenSeconds'>, position: number): number | null {
  return basis.rate > 0 ? Math.ceil(basis.untilOpenSeconds + position / basis.rate) : null;
}

/** The `queue.position` message of the user at `index` of an announcement. */
export function queuePositionMessage(p: QueuePositions, index: number) {
  return { eventId: p.eventId, type: 'queue.position', position: index + 1, etaSeconds: queueEtaSeconds(p, index + 1) };
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
    queuePositions(positions: QueuePositions) {
      return shared.publish(QUEUE_POSITIONS_CHANNEL, JSON.stringify(positions));
    },
  };
}

export type RealtimePublisher = ReturnType<typeof createRealtimePublisher>;
