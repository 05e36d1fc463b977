import type { Db } from '../../infra/db.js';
import type { RealtimePublisher } from '../../realtime/bus.js';
import { inventoryRepository as repo } from './repository.js';

/**
 * Announces an event's general-admission quantities (realtime `availability`) after a change has
 * committed. The message carries the counts themselves, not the change, so announcements coalesce:
 * while one read of an event is in flight, further changes make one more read after it, however
 * many there were (a busy GA sale costs one small transaction per round, not one per hold).
 */
export function createAvailabilityAnnouncer(db: Db, publisher: RealtimePublisher, log: (err: unknown, msg: string) => void) {
  /** Events with a read in flight → whether another change came meanwhile. */
  const inFlight = new Map<string, boolean>();

  async function announce(eventId: string): Promise<void> {
    try {
      const { version, ticketTypes } = await repo.nextAvailability(db, eventId);
      if (ticketTypes.length > 0) await publisher.availability(eventId, ticketTypes, version);
    } catch (err) {
      log(err, 'availability announcement failed');
    }
    if (inFlight.get(eventId)) {
      inFlight.set(eventId, false);
      return announce(eventId);
    }
    inFlight.delete(eventId);
  }

  return {
    /** Call after COMMIT of anything that changed the event's general-admission quantities. */
    changed(eventIds: Iterable<string>): void {
      for (const eventId of new Set(eventIds)) {
        if (inFlight.has(eventId)) {
          inFlight.set(eventId, true);
          continue;
        }
        inFlight.set(eventId, false);
        void announce(eventId);
      }
    },
  };
}

export type AvailabilityAnnouncer = ReturnType<typeof createAvailabilityAnnouncer>;
