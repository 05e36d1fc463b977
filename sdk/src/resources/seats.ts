import type { RequestOptions } from '../config.js';
import type { RealtimeClient, SeatChange, SeatSubscription } from '../realtime.js';
import type { Transport } from '../transport.js';
import type { SeatMap } from '../types.js';
import { Resource } from './resource.js';

export interface SeatWatchHandlers {
  /** The whole seat map: first, and again after a missed change or a reconnect. */
  onSnapshot(map: SeatMap): void;
  /** Each later change, once and in version order. */
  onChange(change: SeatChange): void;
  /** A snapshot could not be loaded (the changes keep coming). */
  onError?(err: unknown): void;
}

/** Seat maps, and keeping one current over the realtime channel. */
export class SeatsResource extends Resource {
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
   * Keeps an event's seat map current: loads it once the realtime subscription is confirmed, then
   * streams changes, reloading on a gap or a reconnect. Needs `realtimeUrl` and a WebSocket.
   */
  watch(eventId: string, handlers: SeatWatchHandlers): SeatSubscription {
    const rt = this.realtime();
    const stopErrors = handlers.onError ? rt.on('error', handlers.onError) : undefined;
    const subscription = rt.onSeats(eventId, (change) => handlers.onChange(change), {
      refetch: async () => {
        const map = await this.map(eventId);
        handlers.onSnapshot(map);
        return map.version;
      },
    });
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
