import type pg from 'pg';
import { deferToCommit } from '../../infra/db.js';
import type { RealtimePublisher, SeatChangeType } from '../../realtime/bus.js';
import { inventoryRepository as repo } from './repository.js';

export interface SeatChange {
  type: SeatChangeType;
  seatIds: string[];
}

export interface VersionedSeatChange extends SeatChange {
  eventId: string;
  version: number;
}

/**
 * THE place where seat state changes are recorded. Every path that changes seats (hold, release,
 * reserve, cancel, expiry) calls this inside its transaction (withTransaction): it bumps the event's
 * seat version once per change (so clients can spot gaps) and returns the changes, whose versions
 * are filled in when the transaction commits; the caller publishes them after COMMIT with
 * `publishSeatChanges`. The bump is sent with the COMMIT itself, so the event-row lock (which
 * serialises every change of the event) is held for the commit alone.
 *
 * For a path that sells seats (payment confirmation): change the seats' status in the transaction,
 * call this with `seat.sold`, and `publishSeatChanges` after COMMIT. Nothing else is needed: the
 * seated availability counters follow the seats in the same statement (trigger seats_count_update),
 * and the in-memory seat views and event details of every instance follow the published change.
 * (Hold batches run the same bump statement, `sql.bumpSeatVersion` in the repository, inside their
 * write round trip: see `writeHoldsAndCommit` and `versionSeatChanges`.)
 */
export async function recordSeatChanges(client: pg.PoolClient, eventId: string, changes: SeatChange[]): Promise<VersionedSeatChange[]> {
  const real = changes.filter((c) => c.seatIds.length > 0);
  if (real.length === 0) return [];
  const versioned = real.map((c) => ({ eventId, type: c.type, seatIds: c.seatIds, version: Number.NaN }));
  deferToCommit(client, repo.bumpSeatVersionStatement(eventId, real.length), (rows) => {
    const first = Number(rows[0]!.seat_version) - real.length + 1;
    versioned.forEach((c, i) => (c.version = first + i));
  });
  return versioned;
}

/**
 * Numbers changes after a bump of `changes.length` that ended at version `last`. The hold batch
 * sends the same bump statement inside its write round trip and numbers its changes with this.
 */
export function versionSeatChanges(eventId: string, changes: SeatChange[], last: number | undefined): VersionedSeatChange[] {
  if (last === undefined) return [];
  const first = last - changes.length + 1;
  return changes.map((c, i) => ({ eventId, type: c.type, seatIds: c.seatIds, version: first + i }));
}

/** After COMMIT only: tells every API instance's realtime clients. A lost message is repaired by the version gap. */
export function publishSeatChanges(publisher: RealtimePublisher, changes: VersionedSeatChange[], onError: (err: unknown) => void): void {
  for (const c of changes) publisher.seatsChanged(c.eventId, c.type, c.seatIds, c.version).catch(onError);
}
