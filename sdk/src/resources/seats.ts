import type { RequestOptions } from '../config.js';
import type { RealtimeClient, SeatChange, SeatSubscription } from '../realtime.js';
import type { Transport } from '../transport.js';
import type { MapSeat, SeatGeometry, SeatMap, SeatStatuses } from '../types.js';
import { Resource } from './resource.js';

export interface SeatWatchHandlers {
  /** The whole seat map: first, and again when the server no longer has the changes you missed. */
  onSnapshot(map: SeatMap): void;
  /** Each later change, once and in version order (after a reconnect too: only what changed meanwhile). */
  onChange(change: SeatChange): void;
  /** A snapshot could not be loaded (the changes keep coming). */
  onError?(err: unknown): void;
}

const STATUS_OF_CHAR: Record<string, MapSeat['status']> = { a: 'available', h: 'held', s: 'sold' };

/** Seat maps, and keeping one current over the realtime channel. */
export class SeatsResource extends Resource {
  /** Geometries fetched, by event; one per event is kept (it only changes when the catalog does). */
  readonly #geometries = new Map<string, SeatGeometry>();

  constructor(
    transport: Transport,
    private readonly realtime: () => RealtimeClient,
  ) {
    super(transport);
  }

  /** The seat map of an event, `{ version, seats }`; `version` is where realtime changes continue from. */
  map(eventId: string, options?: RequestOptions): Promise<SeatMap> {
    return this.transport.call(options, (init) => this.http.GET('/v1/events/{eventId}/seats', { params: { path: { eventId } }, ...init }));
  }

  /**
   * Where every seat is and what it costs (ids, section, row, number, label, ticket type, price,
   * x/y), without statuses. With `version` (a `geometryVersion`) the answer is cacheable for good.
   */
  geometry(eventId: string, query: { version?: string } = {}, options?: RequestOptions): Promise<SeatGeometry> {
    return this.transport.call(options, (init) =>
      this.http.GET('/v1/events/{eventId}/seats/geometry', {
        params: { path: { eventId }, query: query.version ? { v: query.version } : {} },
        ...init,
      }),
    );
  }

  /**
   * Seat statuses by version: `full` with one character per seat in geometry order, or with `since`
   * only the changes after that version (when the server still has them all).
   */
  statuses(eventId: string, query: { since?: number } = {}, options?: RequestOptions): Promise<SeatStatuses> {
    return this.transport.call(options, (init) =>
      this.http.GET('/v1/events/{eventId}/seats/status', { params: { path: { eventId }, query }, ...init }),
    );
  }

  /** The seat map built from the geometry (fetched once per geometry version) and full statuses. */
  async #compose(eventId: string, statuses: SeatStatuses): Promise<SeatMap> {
    let geometry = this.#geometries.get(eventId);
    if (geometry?.geometryVersion !== statuses.geometryVersion) {
      geometry = await this.geometry(eventId, { version: statuses.geometryVersion });
      this.#geometries.set(eventId, geometry);
    }
    const chars = statuses.statuses ?? '';
    return {
      eventId,
      version: statuses.version,
      seats: geometry.seats.map((seat, i) => ({ ...seat, status: STATUS_OF_CHAR[chars[i] ?? 'a'] ?? 'available' })),
    };
  }

  /**
   * Keeps an event's seat map current: loads it once the realtime subscription is confirmed (the
   * geometry once, then the compact statuses), then streams changes. After a reconnect or a gap it
   * asks only for the changes since the version it has, and takes a whole snapshot only when the
   * server no longer has them. Needs `realtimeUrl` and a WebSocket.
   */
  watch(eventId: string, handlers: SeatWatchHandlers): SeatSubscription {
    const rt = this.realtime();
    const stopErrors = handlers.onError ? rt.on('error', handlers.onError) : undefined;
    let known: number | undefined;
    const subscription = rt.onSeats(
      eventId,
      (change) => {
        known = change.version;
        handlers.onChange(change);
      },
      {
        refetch: async () => {
          const answer = await this.statuses(eventId, known === undefined ? {} : { since: known });
          if (answer.full) {
            handlers.onSnapshot(await this.#compose(eventId, answer));
          } else {
            for (const c of answer.changes) handlers.onChange({ eventId, type: c.type, seatIds: c.seatIds, version: c.version });
          }
          known = answer.version;
          return answer.version;
        },
      },
    );
    return {
      ...subscription,
      get version() {
        return subscription.version;
      },
      unsubscribe: () => {
        stopErrors?.();
        subscription.unsubscribe();
      },
    };
  }
}
