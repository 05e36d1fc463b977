// Versioned seat views served from memory (issue 11).
//
// Each API instance keeps, for the events being read, the seat map tagged with its seat version and
// keeps it current from the seat-change stream every instance already receives (the realtime bus:
// the very messages the live channel publishes), plus this instance's own changes applied as they
// are published (so a caller reads its own write). A change applies only on top of the version
// before it, so a snapshot is always the database's state at the version it carries; changes that
// arrive early wait for the missing one, and a gap that stays open (a lost message) makes the next
// read load the event again from PostgreSQL. Memory is bounded: least-recently-read events leave
// first.
//
// Why our own store rather than an HTTP cache in front: the state moves a thousand times a second
// on sale, and an HTTP cache would go back to PostgreSQL (a scan of the event's seats) for each new
// version; here a version costs applying one message.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db } from '../../infra/db.js';
import type { SeatChangeType } from '../../realtime/bus.js';
import { CachedBody, IMMUTABLE } from './cached-body.js';
import { inventoryRepository as repo, type SeatViewSnapshot } from './repository.js';

/** 0 available, 1 held (an unexpired or unswept hold, or a pending reservation), 2 sold. */
type Status = 0 | 1 | 2;
const STATUS_NAMES = ['available', 'held', 'sold'] as const;
const STATUS_CHARS = 'ahs';
const STATUS_KEY = ',"status":"';
const STATUS_OF: Record<SeatChangeType, Status> = { 'seat.released': 0, 'seat.held': 1, 'seat.sold': 2 };

export interface SeatViewChange {
  eventId: string;
  type: SeatChangeType;
  seatIds: string[];
  version: number;
}

/** Changes kept per event for `since` answers. */
const HISTORY_CHANGES = 2_000;

/** One event's seats at one version. Seat order is map order (section, row, number). */
export class EventSeatView {
  readonly ids: string[];
  readonly typeIds: (string | null)[];
  readonly index = new Map<string, number>();
  readonly status: Uint8Array;
  /** Seats per ticket type, and of them available, at `version`. */
  readonly totalByType = new Map<string, number>();
  readonly availableByType = new Map<string, number>();
  /**
   * Every seat's seat-map JSON up to its status (`{"id":…,"status":"`), newline separated, as
   * PostgreSQL wrote it: seat i is `fragments[starts[i], starts[i+1] - 1)`.
   */
  private readonly fragments: Buffer;
  private readonly starts: Uint32Array;
  /** Hash of the geometry (ids, places, prices, order): names the immutable geometry document. */
  readonly geometryVersion: string;
  #geometry: { immutable: CachedBody; latest: CachedBody } | undefined;
  /** `bytes` when the LRU last measured this entry. */
  measured = 0;
  /** Early changes waiting for the one before them, and when the first of them came. */
  readonly pending = new Map<number, SeatViewChange>();
  gapSince = 0;
  /** Recent changes, oldest first, for `?since=`. */
  private readonly history: SeatViewChange[] = [];
  private rendered: { full?: CachedBody; status?: CachedBody; version: number } = { version: -1 };
  public version: number;

  constructor(
    readonly eventId: string,
    snapshot: SeatViewSnapshot,
  ) {
    this.version = Number(snapshot.version);
    const n = snapshot.count;
    this.ids = n === 0 ? [] : snapshot.ids.split(',');
    this.typeIds = n === 0 ? [] : snapshot.typeIds.split(',').map((t) => t || null);
    this.status = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const id = this.ids[i]!;
      const typeId = this.typeIds[i]!;
      const status = (snapshot.statuses.charCodeAt(i) - 48) as Status;
      this.index.set(id, i);
      this.status[i] = status;
      if (typeId !== null) {
        this.totalByType.set(typeId, (this.totalByType.get(typeId) ?? 0) + 1);
        if (status === 0) this.availableByType.set(typeId, (this.availableByType.get(typeId) ?? 0) + 1);
      }
    }
    this.fragments = Buffer.from(snapshot.fragments);
    this.starts = new Uint32Array(n + 1);
    // Seat boundaries by the newlines (JSON strings never hold a raw one): a native scan.
    for (let i = 1, at = 0; i < n; i++) this.starts[i] = at = this.fragments.indexOf(10, at) + 1;
    this.starts[n] = this.fragments.length + 1;
    this.geometryVersion = createHash('sha256').update(this.fragments).digest('base64url').slice(0, 22);
  }

  /** The geometry document, built on first demand: for `?v=<geometryVersion>` (immutable) and without it (revalidated). */
  geometry(): { immutable: CachedBody; latest: CachedBody } {
    if (this.#geometry) return this.#geometry;
    const head = Buffer.from(`{"eventId":"${this.eventId}","geometryVersion":"${this.geometryVersion}","seats":[`);
    const cut = STATUS_KEY.length; // each fragment ends with `,"status":"`
    const n = this.size;
    const out = Buffer.allocUnsafe(head.length + this.fragments.length - n * (cut + 1) + 2 * n + 2);
    let at = head.copy(out, 0);
    for (let i = 0; i < n; i++) {
      if (i > 0) out[at++] = 0x2c; // ,
      at += this.fragments.copy(out, at, this.starts[i]!, this.starts[i + 1]! - 1 - cut);
      out[at++] = 0x7d; // }
    }
    at += Buffer.from(']}').copy(out, at);
    const json = out.subarray(0, at);
    return (this.#geometry = {
      immutable: new CachedBody(json, `g-${this.geometryVersion}`, IMMUTABLE),
      latest: new CachedBody(json, `g-${this.geometryVersion}`),
    });
  }

  get size(): number {
    return this.ids.length;
  }

  /** Applies a change if it is the next version; returns false when it is not (early or old). */
  private applyNext(change: SeatViewChange): boolean {
    if (change.version !== this.version + 1) return false;
    const to = STATUS_OF[change.type];
    for (const id of change.seatIds) {
      const i = this.index.get(id);
      if (i === undefined) continue;
      const from = this.status[i]!;
      if (from === to) continue;
      const typeId = this.typeIds[i] ?? null;
      if (typeId !== null && (from === 0 || to === 0)) {
        this.availableByType.set(typeId, (this.availableByType.get(typeId) ?? 0) + (to === 0 ? 1 : -1));
      }
      this.status[i] = to;
    }
    this.version = change.version;
    this.history.push(change);
    if (this.history.length > HISTORY_CHANGES) this.history.splice(0, this.history.length - HISTORY_CHANGES);
    return true;
  }

  /** Takes a change from the stream: applied in version order, early ones kept until their turn. */
  receive(change: SeatViewChange, now = Date.now()): void {
    if (change.version <= this.version) return;
    if (!this.applyNext(change)) {
      if (this.pending.size === 0) this.gapSince = now;
      this.pending.set(change.version, change);
      return;
    }
    for (let next = this.pending.get(this.version + 1); next; next = this.pending.get(this.version + 1)) {
      this.pending.delete(next.version);
      this.applyNext(next);
    }
    for (const v of this.pending.keys()) if (v <= this.version) this.pending.delete(v);
    if (this.pending.size === 0) this.gapSince = 0;
    else this.gapSince = now;
  }

  /** The documented seat map (`SeatMap`), rendered once per version. */
  full(): CachedBody {
    if (this.rendered.version !== this.version) this.rendered = { version: this.version };
    if (this.rendered.full) return this.rendered.full;
    const head = Buffer.from(`{"eventId":"${this.eventId}","version":${this.version},"seats":[`);
    const tail = Buffer.from(']}');
    const suffixes = STATUS_NAMES.map((s) => Buffer.from(`${s}"}`));
    const n = this.status.length;
    // fragments less their newlines, plus a comma between seats.
    let length = head.length + this.fragments.length + 1 + tail.length;
    for (let i = 0; i < n; i++) length += suffixes[this.status[i]!]!.length;
    // One buffer, filled by copies: a 50,000-seat map renders in a few ms (JSON.stringify of the
    // same objects took ~10× longer).
    const out = Buffer.allocUnsafe(length);
    let at = head.copy(out, 0);
    for (let i = 0; i < n; i++) {
      if (i > 0) out[at++] = 0x2c; // ,
      at += this.fragments.copy(out, at, this.starts[i]!, this.starts[i + 1]! - 1);
      at += suffixes[this.status[i]!]!.copy(out, at);
    }
    at += tail.copy(out, at);
    return (this.rendered.full = new CachedBody(out.subarray(0, at), `m-${this.geometryVersion}-${this.version}`));
  }

  /** The compact status: one character per seat in geometry order (a available, h held, s sold). */
  compact(): CachedBody {
    if (this.rendered.version !== this.version) this.rendered = { version: this.version };
    if (this.rendered.status) return this.rendered.status;
    const chars = Buffer.allocUnsafe(this.status.length);
    for (let i = 0; i < this.status.length; i++) chars[i] = STATUS_CHARS.charCodeAt(this.status[i]!);
    const body = Buffer.concat([
      Buffer.from(
        `{"eventId":"${this.eventId}","version":${this.version},"geometryVersion":"${this.geometryVersion}","full":true,"statuses":"`,
      ),
      chars,
      Buffer.from('","changes":[]}'),
    ]);
    return (this.rendered.status = new CachedBody(body, `s-${this.geometryVersion}-${this.version}`));
  }

  /** Changes after `since`, oldest first, or undefined when they are no longer all kept. */
  changesSince(since: number): SeatViewChange[] | undefined {
    if (since === this.version) return [];
    const first = this.history[0];
    if (since > this.version || !first || first.version > since + 1) return undefined;
    return this.history.slice(this.history.length - (this.version - since));
  }

  /** Rough bytes held, for the memory bound. */
  get bytes(): number {
    const rendered = (this.rendered.full?.bytes ?? 0) + (this.rendered.status?.bytes ?? 0);
    // ids and type ids are strings of 36 characters (~90 bytes each in V8), the index ~80 per entry.
    const g = this.#geometry;
    const geometry = g ? g.immutable.bytes + g.latest.bytes - g.latest.raw.length : 0;
    return this.fragments.length + geometry + rendered + this.ids.length * 200 + this.history.length * 120;
  }
}

export interface SeatViewsOptions {
  db: Db;
  /** Memory bound, in bytes. */
  maxBytes: number;
  /** How long a gap in versions may stay open before the next read loads the event again. */
  gapMs?: number;
}

/** Every event view of this instance, fed by `receive` (the bus and this instance's own changes). */
export class SeatViews {
  private readonly cache: LRUCache<string, EventSeatView>;
  /** Loads in flight, with the changes that arrived meanwhile. */
  private readonly loading = new Map<string, { promise: Promise<EventSeatView | undefined>; early: SeatViewChange[] }>();
  private readonly gapMs: number;
  readonly stats = { hits: 0, loads: 0, gapReloads: 0 };

  constructor(private readonly options: SeatViewsOptions) {
    this.gapMs = options.gapMs ?? 250;
    this.cache = new LRUCache<string, EventSeatView>({
      maxSize: options.maxBytes,
      // A view larger than the whole bound is still served, just not kept.
      maxEntrySize: options.maxBytes,
      sizeCalculation: (v) => Math.max(1, v.bytes),
    });
  }

  /** A seat change from the stream (any instance's) or from this instance's own commit. */
  receive(change: SeatViewChange): void {
    const load = this.loading.get(change.eventId);
    if (load) load.early.push(change);
    // peek: a change is not a read, it does not keep the event in memory.
    this.cache.peek(change.eventId)?.receive(change);
  }

  /** Forgets an event (its catalog changed: prices, deletion), so the next read loads it again. */
  invalidate(eventId: string): void {
    this.cache.delete(eventId);
    this.loading.delete(eventId);
  }

  /** The event's view, from memory when it is there; undefined when there is no such event. */
  async get(eventId: string): Promise<EventSeatView | undefined> {
    const view = this.cache.get(eventId);
    if (view) {
      if (view.pending.size > 0 && Date.now() - view.gapSince > this.gapMs) {
        this.stats.gapReloads++;
        return this.load(eventId, view);
      }
      this.stats.hits++;
      return view;
    }
    return this.load(eventId);
  }

  /**
   * Re-measures an event's entry after its bodies were rendered or compressed (the LRU's size is
   * taken when an entry is stored).
   */
  touch(view: EventSeatView): void {
    const bytes = view.bytes;
    if (bytes === view.measured || this.cache.peek(view.eventId) !== view) return;
    view.measured = bytes;
    this.cache.set(view.eventId, view);
  }

  /** Loads the event's view from PostgreSQL once, whoever asks meanwhile. */
  private load(eventId: string, previous?: EventSeatView): Promise<EventSeatView | undefined> {
    const inFlight = this.loading.get(eventId);
    if (inFlight) return inFlight.promise;
    const slot: { promise: Promise<EventSeatView | undefined>; early: SeatViewChange[] } = {
      promise: Promise.resolve(undefined),
      early: [],
    };
    const mine = () => this.loading.get(eventId) === slot;
    this.loading.set(eventId, slot);
    slot.promise = (async () => {
      try {
        this.stats.loads++;
        const snapshot = await repo.seatViewSnapshot(this.options.db, eventId);
        if (!snapshot) return undefined;
        const view = new EventSeatView(eventId, snapshot);
        // Invalidated while loading: serve this answer, keep nothing.
        if (!mine()) return view;
        // Changes committed after the snapshot arrived meanwhile, or were waiting in the old view.
        const later = [...(previous ? previous.pending.values() : []), ...slot.early].sort((a, b) => a.version - b.version);
        for (const change of later) view.receive(change);
        view.measured = view.bytes;
        this.cache.set(eventId, view);
        return view;
      } finally {
        if (mine()) this.loading.delete(eventId);
      }
    })();
    return slot.promise;
  }

  /** Gauges and counters in /metrics. */
  register(registry: Registry): void {
    const cache = this.cache;
    const stats = this.stats;
    new Gauge({
      name: 'seat_views_bytes',
      help: 'Memory held by the in-memory seat views (approximate)',
      registers: [registry],
      collect() {
        this.set(cache.calculatedSize);
      },
    });
    new Gauge({
      name: 'seat_views_events',
      help: 'Events whose seat view is in memory',
      registers: [registry],
      collect() {
        this.set(cache.size);
      },
    });
    new Gauge({
      name: 'seat_views_max_bytes',
      help: 'Memory bound of the seat views',
      registers: [registry],
      collect() {
        this.set(cache.maxSize);
      },
    });
    const reads = new Counter({
      name: 'seat_views_reads_total',
      help: 'Seat view reads by outcome: hit (from memory), load (from PostgreSQL), gap_reload (a version gap stayed open)',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        reads.reset();
        reads.inc({ outcome: 'hit' }, stats.hits);
        reads.inc({ outcome: 'load' }, stats.loads - stats.gapReloads);
        reads.inc({ outcome: 'gap_reload' }, stats.gapReloads);
      },
    });
  }
}

/** Parses a realtime bus envelope into a seat change, or undefined for any other message. */
export function seatChangeFromBus(raw: string): SeatViewChange | undefined {
  try {
    const envelope = JSON.parse(raw) as { topic?: unknown; message?: Record<string, unknown> };
    const m = envelope.message;
    if (typeof envelope.topic !== 'string' || !envelope.topic.endsWith('.seats') || !m) return undefined;
    if (m.type !== 'seat.held' && m.type !== 'seat.released' && m.type !== 'seat.sold') return undefined;
    if (typeof m.eventId !== 'string' || typeof m.version !== 'number' || !Array.isArray(m.seatIds)) return undefined;
    return { eventId: m.eventId, type: m.type, seatIds: m.seatIds as string[], version: m.version };
  } catch {
    return undefined;
  }
}
