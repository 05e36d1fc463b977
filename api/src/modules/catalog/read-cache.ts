// The event page's reads from memory (issue 11): the event detail with availability per ticket type
// at a seat version, and event lists and search results for a moment. Invalidated by catalog
// changes, here at once and on every other instance through the bus (CATALOG_CHANNEL).
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Db } from '../../infra/db.js';
import { AppError } from '../../errors.js';
import { CachedBody } from '../inventory/cached-body.js';
import type { SeatViews } from '../inventory/seat-views.js';
import { catalogRepository as repo, type EventRow, type TicketTypeRow } from './repository.js';
import { toPublicEvent } from './service.js';

/** Bus channel of catalog changes: the message is the changed event's id, or '*' for lists only. */
export const CATALOG_CHANNEL = 'catalog';

export interface CatalogReadsOptions {
  db: Db;
  seatViews: SeatViews;
  /**
   * General-admission availability changes without a seat version (its holds move a counter, not
   * seats), so the detail reads it again at most this often. Default 1,000 ms.
   */
  generalTtlMs?: number;
  /** A safety net should an invalidation message be lost. Default 30,000 ms. */
  staticTtlMs?: number;
  /** Event lists and search results. Default 2,000 ms. */
  listTtlMs?: number;
}

interface DetailEntry {
  event: EventRow;
  types: TicketTypeRow[];
  loadedAt: number;
  hasGeneral: boolean;
  template?: DetailTemplate;
  rendered?: { version: number; body: CachedBody };
}

/**
 * The detail's JSON less its counts, made once per catalog load: under on-sale churn every read may
 * carry a new seat version (2,000 a second at 1,000 holds/s), and filling in a few numbers costs a
 * fraction of JSON.stringify of the whole event and a hash of it per version.
 */
interface DetailTemplate {
  head: string;
  types: Array<{ row: TicketTypeRow; seated: boolean; open: string }>;
  /** Hash of the static parts: with the seat version and the general-admission counts, the ETag. */
  hash: string;
}

function detailTemplate(entry: DetailEntry): DetailTemplate {
  const head = `${JSON.stringify(toPublicEvent(entry.event)).slice(0, -1)},"ticketTypes":[`;
  const types = entry.types.map((t) => ({
    row: t,
    seated: t.kind === 'seated',
    open: `{"id":${JSON.stringify(t.id)},"name":${JSON.stringify(t.name)},"kind":${JSON.stringify(t.kind)},"price":${t.price},"totalQuantity":`,
  }));
  const hash = createHash('sha1')
    .update(head + types.map((t) => t.open).join(''))
    .digest('base64url')
    .slice(0, 16);
  return { head, types, hash };
}

export function createCatalogReads(options: CatalogReadsOptions) {
  const { db, seatViews } = options;
  const generalTtl = options.generalTtlMs ?? 1_000;
  const staticTtl = options.staticTtlMs ?? 30_000;
  // Entries are small (an event row, its types and one rendered body of ~1-2 kB).
  const details = new LRUCache<string, DetailEntry>({ max: 5_000 });
  const detailLoads = new Map<string, { promise: Promise<DetailEntry | undefined> }>();
  const lists = new LRUCache<string, { value: unknown }>({ max: 1_000, ttl: options.listTtlMs ?? 2_000 });
  const listLoads = new Map<string, Promise<unknown>>();

  function loadDetail(eventId: string): Promise<DetailEntry | undefined> {
    const inFlight = detailLoads.get(eventId);
    if (inFlight) return inFlight.promise;
    const slot = { promise: Promise.resolve<DetailEntry | undefined>(undefined) };
    const mine = () => detailLoads.get(eventId) === slot;
    detailLoads.set(eventId, slot);
    slot.promise = (async () => {
      try {
        const event = await repo.findEvent(db, eventId);
        if (!event) return undefined;
        const types = await repo.listTicketTypes(db, eventId);
        const entry = { event, types, loadedAt: Date.now(), hasGeneral: types.some((t) => t.kind === 'general') };
        // Invalidated meanwhile: answer with it, keep nothing.
        if (mine()) details.set(eventId, entry);
        return entry;
      } finally {
        if (mine()) detailLoads.delete(eventId);
      }
    })();
    return slot.promise;
  }

  return {
    /** GET /v1/events/{id}, rendered once per (catalog load, seat version). */
    async detail(eventId: string): Promise<CachedBody> {
      let entry = details.get(eventId);
      const age = entry ? Date.now() - entry.loadedAt : Infinity;
      if (!entry || age > staticTtl || (entry.hasGeneral && age > generalTtl)) entry = await loadDetail(eventId);
      if (!entry) throw new AppError('EVENT_NOT_FOUND', `No event ${eventId}`);
      const view = await seatViews.get(eventId);
      if (!view) throw new AppError('EVENT_NOT_FOUND', `No event ${eventId}`);
      if (entry.rendered?.version === view.version) return entry.rendered.body;
      const template = (entry.template ??= detailTemplate(entry));
      // Seated counts from the seat view, so they agree with `seatVersion` exactly.
      let json = template.head;
      let etag = `d-${template.hash}-${view.version}`;
      let totalSeats = 0;
      template.types.forEach(({ row, seated, open }, i) => {
        const total = seated ? (view.totalByType.get(row.id) ?? 0) : row.total_quantity;
        const available = seated ? (view.availableByType.get(row.id) ?? 0) : row.available_quantity;
        if (seated) totalSeats += total;
        // General-admission counts move without a seat version: they name the answer too.
        else etag += `-${total}.${available}`;
        json += `${i > 0 ? ',' : ''}${open}${total},"availableQuantity":${available}}`;
      });
      json += `],"totalSeats":${totalSeats},"seatVersion":${view.version}}`;
      // The same answer has the same ETag on every instance.
      const body = new CachedBody(Buffer.from(json), etag);
      entry.rendered = { version: view.version, body };
      return body;
    },

    /** A list or search page, computed at most once per key and TTL. */
    async list<T>(key: string, compute: () => Promise<T>): Promise<T> {
      const hit = lists.get(key);
      if (hit) return hit.value as T;
      const inFlight = listLoads.get(key);
      if (inFlight) return inFlight as Promise<T>;
      const promise = compute().then(
        (value) => {
          if (listLoads.get(key) === promise) lists.set(key, { value });
          listLoads.delete(key);
          return value;
        },
        (err: unknown) => {
          listLoads.delete(key);
          throw err;
        },
      );
      listLoads.set(key, promise);
      return promise;
    },

    /** A catalog change on this or another instance: forget the event ('*': lists only). */
    invalidate(eventId: string): void {
      lists.clear();
      listLoads.clear();
      if (eventId === '*') return;
      details.delete(eventId);
      detailLoads.delete(eventId);
      seatViews.invalidate(eventId);
    },
  };
}

export type CatalogReads = ReturnType<typeof createCatalogReads>;
