import type { RequestOptions } from '../config.js';
import { NotFoundError, TiketiError } from '../errors.js';
import type { QueuePosition, RealtimeClient } from '../realtime.js';
import type { Transport } from '../transport.js';
import type { Admission, AdmitResult, QueuePlace, QueueSettings, UpdateQueueBody } from '../types.js';
import { Resource } from './resource.js';

/**
 * The admissions this client holds, by event: `holds.create` sends the live one as X-Queue-Token.
 * One per client (a client is one credential; `withToken` makes a new one with none).
 */
export class AdmissionBook {
  readonly #byEvent = new Map<string, Admission>();

  /** The event's admission if it has not expired. */
  get(eventId: string): Admission | undefined {
    const admission = this.#byEvent.get(eventId);
    if (admission && Date.parse(admission.expiresAt) <= Date.now()) {
      this.#byEvent.delete(eventId);
      return undefined;
    }
    return admission;
  }
  set(eventId: string, admission: Admission): void {
    this.#byEvent.set(eventId, admission);
  }
  delete(eventId: string): void {
    this.#byEvent.delete(eventId);
  }
}

export interface WaitForAdmissionOptions {
  /** Your place as the line moves: from the join, the realtime channel, and the fallback checks. */
  onPosition?: (place: { position: number; etaSeconds: number | null }) => void;
  /** Stops waiting (and leaves nothing behind but your place in line); the promise rejects. */
  signal?: AbortSignal;
  /**
   * How often to ask the API for your place as well, in milliseconds, in case a realtime message
   * was missed (a reconnect) or realtime is unavailable. Default 15000.
   */
  checkIntervalMs?: number;
}

/** Waiting rooms: join the line, follow it, and get the admission that holds need. */
export class QueueResource extends Resource {
  constructor(
    transport: Transport,
    private readonly realtime: () => RealtimeClient,
    private readonly admissions: AdmissionBook,
  ) {
    super(transport);
  }

  /** The event's waiting room: settings and the line now (anyone). */
  settings(eventId: string, options?: RequestOptions): Promise<QueueSettings> {
    return this.transport.call(options, (init) => this.http.GET('/v1/events/{eventId}/queue', { params: { path: { eventId } }, ...init }));
  }

  /** Configures the waiting room (admin): `enabled`, `paused`, `admitPerSecond`, `admissionTtlSeconds`, `maxActive`, `order`, `opensAt`. */
  updateSettings(eventId: string, body: UpdateQueueBody, options?: RequestOptions): Promise<QueueSettings> {
    return this.transport.call(options, (init) =>
      this.http.PATCH('/v1/events/{eventId}/queue', { params: { path: { eventId } }, body, ...init }),
    );
  }

  /**
   * Joins the line (rejoining keeps your place). QUEUE_NOT_ENABLED → ConflictError: the event has
   * no waiting room, hold directly. An admission in the answer is remembered for `holds.create`.
   */
  async join(eventId: string, options?: RequestOptions): Promise<QueuePlace> {
    const place = await this.transport.call(options, (init) =>
      this.http.POST('/v1/events/{eventId}/queue/join', { params: { path: { eventId } }, ...init }),
    );
    return this.#remember(eventId, place);
  }

  /** Your place or admission. QUEUE_NOT_JOINED → NotFoundError. */
  async me(eventId: string, options?: RequestOptions): Promise<QueuePlace> {
    const place = await this.transport.call(options, (init) =>
      this.http.GET('/v1/events/{eventId}/queue/me', { params: { path: { eventId } }, ...init }),
    );
    return this.#remember(eventId, place);
  }

  /** Leaves the line, or gives up your admission. */
  async leave(eventId: string, options?: RequestOptions): Promise<void> {
    await this.transport.send(options, (init) =>
      this.http.DELETE('/v1/events/{eventId}/queue/me', { params: { path: { eventId } }, ...init }),
    );
    this.admissions.delete(eventId);
  }

  /** Admits the next `count` in line now (admin). */
  admit(eventId: string, count: number, options?: RequestOptions): Promise<AdmitResult> {
    return this.transport.call(options, (init) =>
      this.http.POST('/v1/events/{eventId}/queue/admit', { params: { path: { eventId } }, body: { count }, ...init }),
    );
  }

  /** The admission this client holds for the event, if any and not expired. */
  admission(eventId: string): Admission | undefined {
    return this.admissions.get(eventId);
  }

  /**
   * Joins the line, follows it on the realtime channel, and resolves with your admission, after
   * which `holds.create` for the event sends it by itself. Resolves with `null` when the event has
   * no waiting room (hold directly). Needs a signed-in client; realtime needs a WebSocket (the
   * `WebSocket` option under Node 20), and without one the line is followed by asking the API.
   */
  async waitForAdmission(eventId: string, options: WaitForAdmissionOptions = {}): Promise<Admission | null> {
    const { signal, onPosition } = options;
    let place: QueuePlace;
    try {
      place = await this.join(eventId, { signal });
    } catch (err) {
      if (err instanceof TiketiError && err.code === 'QUEUE_NOT_ENABLED') return null;
      throw err;
    }
    if (place.admission) return place.admission;
    onPosition?.({ position: place.position, etaSeconds: place.etaSeconds });

    return new Promise<Admission>((resolve, reject) => {
      let done = false;
      const rt = this.realtime();
      const cleanups: Array<() => void> = [];
      const finish = (outcome: { admission: Admission } | { error: unknown }) => {
        if (done) return;
        done = true;
        for (const cleanup of cleanups) cleanup();
        if ('admission' in outcome) resolve(outcome.admission);
        else reject(outcome.error);
      };
      // The API's word, in case a realtime message was missed: before the subscription was
      // confirmed, during a reconnect, or without realtime at all.
      const check = () => {
        if (done) return;
        this.me(eventId, { signal }).then(
          (now) => {
            if (now.admission) finish({ admission: now.admission });
            else onPosition?.({ position: now.position, etaSeconds: now.etaSeconds });
          },
          (err: unknown) => {
            if (done) return;
            // Out of line (an admission that expired unseen): join again, at the back.
            if (err instanceof NotFoundError) {
              this.join(eventId, { signal }).then(
                (again) => again.admission && finish({ admission: again.admission }),
                () => {},
              );
            } else if (signal?.aborted) finish({ error: err });
          },
        );
      };
      const subscription = rt.onQueue(eventId, (message) => {
        if (message.type === 'queue.admitted') {
          this.admissions.set(eventId, message.admission);
          finish({ admission: message.admission });
        } else {
          const position = message as QueuePosition;
          onPosition?.({ position: position.position, etaSeconds: position.etaSeconds });
        }
      });
      cleanups.push(() => subscription.unsubscribe());
      subscription.ready.then(check, check);
      cleanups.push(rt.on('open', check));
      const timer = setInterval(check, options.checkIntervalMs ?? 15_000);
      cleanups.push(() => clearInterval(timer));
      if (signal) {
        const onAbort = () => finish({ error: signal.reason ?? new Error('aborted') });
        if (signal.aborted) onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => signal.removeEventListener('abort', onAbort));
      }
    });
  }

  #remember(eventId: string, place: QueuePlace): QueuePlace {
    if (place.admission) this.admissions.set(eventId, place.admission);
    return place;
  }
}
