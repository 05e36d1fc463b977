import type { RequestOptions } from '../config.js';
import type { CreateHoldBody, Hold } from '../types.js';
import type { Transport } from '../transport.js';
import type { AdmissionBook } from './queue.js';
import { Resource } from './resource.js';

export interface HoldRequestOptions extends RequestOptions {
  /**
   * The waiting-room admission token (`X-Queue-Token`), needed while the event's queue is on.
   * Default: the admission this client got from `queue.join`, `queue.me` or `queue.waitForAdmission`.
   */
  queueToken?: string;
}

/** Seat and ticket holds: all or none, for a few minutes, before a reservation. */
export class HoldsResource extends Resource {
  constructor(
    transport: Transport,
    private readonly admissions?: AdmissionBook,
  ) {
    super(transport);
  }

  /**
   * Holds `seatIds` (seated) or `items` (general admission) of an event. SEAT_UNAVAILABLE, SOLD_OUT →
   * ConflictError (not retried); QUEUE_ADMISSION_REQUIRED → PermissionError. Safe to retry: the SDK
   * sends one Idempotency-Key for all attempts.
   */
  create(eventId: string, body: CreateHoldBody, options?: HoldRequestOptions): Promise<Hold> {
    const queueToken = options?.queueToken ?? this.admissions?.get(eventId)?.token;
    const headers = queueToken ? { 'x-queue-token': queueToken } : undefined;
    return this.transport.call(options, (init) =>
      this.http.POST('/v1/events/{eventId}/holds', { params: { path: { eventId } }, body, headers, ...init }),
    );
  }

  /** One of your holds. HOLD_NOT_FOUND → NotFoundError. */
  get(holdId: string, options?: RequestOptions): Promise<Hold> {
    return this.transport.call(options, (init) => this.http.GET('/v1/holds/{holdId}', { params: { path: { holdId } }, ...init }));
  }

  /** Releases a hold early; the seats are free at once. HOLD_ALREADY_USED → ConflictError. */
  release(holdId: string, options?: RequestOptions): Promise<Hold> {
    return this.transport.call(options, (init) => this.http.DELETE('/v1/holds/{holdId}', { params: { path: { holdId } }, ...init }));
  }
}
