import pg from 'pg';
import { withTransaction, type Queryable } from '../../infra/db.js';
import { AppError, type FieldError } from '../../errors.js';
import { MAX_OFFSET, decodeOffsetCursor, encodeCursor, pageOf } from '../../pagination.js';
import {
  EVENT_PAGES,
  catalogRepository as repo,
  type EventField,
  type EventRow,
  type KeywordMappingRow,
  type NewsRow,
  type SeatLayoutRow,
  type SeatSpec,
  type TicketTypeRow,
} from './repository.js';
import {
  MAX_LAYOUT_SEATS,
  type CreateEventInput,
  type CreateKeywordMappingInput,
  type CreateNewsInput,
  type CreateSeatLayoutInput,
  type CreateTicketTypeInput,
  type EventStatus,
  type LayoutSectionInput,
  type ListEventsFilter,
  type UpdateEventInput,
  type UpdateNewsInput,
  type UpdateSeatLayoutInput,
  type UpdateTicketTypeInput,
} from './schemas.js';

// ---- status lifecycle -----------------------------------------------------------------------

/** Where each status may go next; ended and cancelled are final. */
export const STATUS_TRANSITIONS: Record<EventStatus, readonly EventStatus[]> = {
  upcoming: ['on_sale', 'cancelled'],
  on_sale: ['sold_out', 'ended', 'cancelled'],
  sold_out: ['on_sale', 'ended', 'cancelled'],
  ended: [],
  cancelled: [],
};

// ---- seat layouts ---------------------------------------------------------------------------

/** Row labels A … Z, AA, AB … like spreadsheet columns. */
export function rowLabel(index: number): string {
  let n = index + 1;
  let label = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    label = String.fromCharCode(65 + r) + label;
    n = Math.floor((n - 1) / 26);
  }
  return label;
}

/** The rows a section generates, whichever way it was written. */
function sectionRows(section: LayoutSectionInput): { label: string; seats: number }[] {
  if (section.rowList) return section.rowList.map((r) => ({ label: r.label, seats: r.seats }));
  return Array.from({ length: section.rows ?? 0 }, (_, i) => ({ label: rowLabel(i), seats: section.seatsPerRow ?? 0 }));
}

/**
 * The checks JSON schema cannot express; each error names the bad part of the body, such as
 * `/body/sections/2/seatsPerRow`.
 */
export function validateLayout(input: Pick<CreateSeatLayoutInput, 'sections'>): FieldError[] {
  const errors: FieldError[] = [];
  const sectionNames = new Map<string, number>();
  const categoryPrices = new Map<string, { price: number; index: number }>();
  let total = 0;
  input.sections.forEach((section, i) => {
    const at = `/body/sections/${i}`;
    const key = section.name.trim().toLowerCase();
    if (sectionNames.has(key)) errors.push({ path: `${at}/name`, message: `repeats the name of section ${sectionNames.get(key)}` });
    else sectionNames.set(key, i);

    const category = categoryPrices.get(section.ticketType);
    if (category && category.price !== section.price) {
      errors.push({
        path: `${at}/price`,
        message: `differs from section ${category.index}, which has the same ticketType at ${category.price}`,
      });
    } else if (!category) categoryPrices.set(section.ticketType, { price: section.price, index: i });

    if (section.rowList) {
      if (section.rows !== undefined) errors.push({ path: `${at}/rows`, message: 'give either rowList or rows + seatsPerRow, not both' });
      if (section.seatsPerRow !== undefined)
        errors.push({ path: `${at}/seatsPerRow`, message: 'give either rowList or rows + seatsPerRow, not both' });
      const labels = new Map<string, number>();
      section.rowList.forEach((row, r) => {
        const label = row.label.trim();
        if (!label) errors.push({ path: `${at}/rowList/${r}/label`, message: 'is blank' });
        if (labels.has(label)) errors.push({ path: `${at}/rowList/${r}/label`, message: `repeats row ${labels.get(label)}` });
        else labels.set(label, r);
        if (row.seats < 1) errors.push({ path: `${at}/rowList/${r}/seats`, message: 'must be at least 1' });
      });
    } else {
      if (section.rows === undefined) errors.push({ path: `${at}/rows`, message: 'is required without rowList' });
      else if (section.rows < 1) errors.push({ path: `${at}/rows`, message: 'must be at least 1' });
      if (section.seatsPerRow === undefined) errors.push({ path: `${at}/seatsPerRow`, message: 'is required without rowList' });
      else if (section.seatsPerRow < 1) errors.push({ path: `${at}/seatsPerRow`, message: 'must be at least 1' });
    }
    total += sectionRows(section).reduce((sum, r) => sum + Math.max(0, r.seats), 0);
  });
  if (total > MAX_LAYOUT_SEATS) {
    errors.push({ path: '/body/sections', message: `makes ${total} seats; a layout may have at most ${MAX_LAYOUT_SEATS}` });
  }
  return errors;
}

export const layoutSeatCount = (sections: LayoutSectionInput[]) =>
  sections.reduce((sum, s) => sum + sectionRows(s).reduce((n, r) => n + r.seats, 0), 0);

/** Gap between sections placed side by side when the layout gives no coordinates, in seat widths. */
const SECTION_GAP = 2;

/**
 * Every seat of a layout, with its ticket type resolved by category name and its drawing position:
 * the section's x/y when given, otherwise sections side by side from the left; one unit per seat
 * and per row, each row centred on the section's widest.
 */
export function expandLayout(sections: LayoutSectionInput[], ticketTypeIds: Map<string, string>): SeatSpec[] {
  const seats: SeatSpec[] = [];
  let nextX = 0;
  for (const section of sections) {
    const rows = sectionRows(section);
    const width = Math.max(...rows.map((r) => r.seats));
    const x0 = section.x ?? nextX;
    const y0 = section.y ?? 0;
    nextX = Math.max(nextX, x0 + width + SECTION_GAP);
    rows.forEach((row, r) => {
      const indent = (width - row.seats) / 2;
      for (let n = 1; n <= row.seats; n++) {
        seats.push({
          ticketTypeId: ticketTypeIds.get(section.ticketType)!,
          section: section.name,
          rowLabel: row.label,
          rowNumber: r + 1,
          seatNumber: n,
          label: `${section.name}-${row.label}-${n}`,
          price: section.price,
          x: x0 + indent + n - 1,
          y: y0 + r,
        });
      }
    });
  }
  return seats;
}

// ---- response mapping -----------------------------------------------------------------------

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const toPublicSeatLayout = (l: SeatLayoutRow) => {
  const sections = l.layout_config.sections as LayoutSectionInput[];
  return {
    id: l.id,
    name: l.name,
    description: l.description,
    totalSeats: l.total_seats,
    sections: sections.map((s) => ({ ...s, seatCount: layoutSeatCount([s]) })),
    createdAt: l.created_at.toISOString(),
    updatedAt: l.updated_at.toISOString(),
  };
};

export const toPublicEvent = (e: EventRow) => ({
  id: e.id,
  title: e.title,
  description: e.description,
  venue: e.venue,
  address: e.address,
  artistName: e.artist_name,
  eventDate: e.event_date.toISOString(),
  saleStartDate: iso(e.sale_start_date),
  saleEndDate: iso(e.sale_end_date),
  posterImageUrl: e.poster_image_url,
  status: e.status,
  seatLayoutId: e.seat_layout_id,
  currency: e.currency,
  minPrice: e.min_price,
  maxPrice: e.max_price,
  createdAt: e.created_at.toISOString(),
  updatedAt: e.updated_at.toISOString(),
});

export const toPublicTicketType = (t: TicketTypeRow) => ({
  id: t.id,
  eventId: t.event_id,
  name: t.name,
  kind: t.kind,
  price: t.price,
  currency: t.currency,
  totalQuantity: t.total_quantity,
  availableQuantity: t.available_quantity,
  description: t.description,
  sortOrder: t.sort_order,
  createdAt: t.created_at.toISOString(),
  updatedAt: t.updated_at.toISOString(),
});

export const toPublicNews = (n: NewsRow) => ({
  id: n.id,
  title: n.title,
  content: n.content,
  author: n.author,
  authorId: n.author_id,
  views: n.views,
  isPinned: n.is_pinned,
  createdAt: n.created_at.toISOString(),
  updatedAt: n.updated_at.toISOString(),
});

export const toPublicKeywordMapping = (m: KeywordMappingRow) => ({
  id: m.id,
  korean: m.korean,
  english: m.english,
  entityType: m.entity_type,
  createdAt: m.created_at.toISOString(),
});

// ---- search ---------------------------------------------------------------------------------

/** Word similarity a search hit needs (pg_trgm's own default for `<%` is 0.6; typos need less). */
const SEARCH_MIN_RANK = 0.5;

const normalise = (s: string) => s.normalize('NFC').trim().toLowerCase().replace(/\s+/g, ' ');

/**
 * The query plus its Korean/English counterparts from keyword mappings: 아이유 콘서트 also searches
 * for "iu" and "iu 콘서트". Substring matching only for terms long enough not to hit inside words
 * (IU inside "stadium"); Hangul terms are meaningful from two syllables.
 */
async function searchTerms(db: Queryable, q: string): Promise<{ term: string; substring: boolean }[]> {
  const query = normalise(q);
  const tokens = [...new Set([query, ...query.split(' ')])].filter(Boolean);
  const mappings = await repo.findMappingsForQuery(db, query, tokens);
  const terms = new Set<string>([query]);
  for (const m of mappings) {
    const [ko, en] = [normalise(m.korean), normalise(m.english)];
    terms.add(ko);
    terms.add(en);
    // Swap the named side inside the query, so words around it still count.
    if (query.includes(ko)) terms.add(query.replace(ko, en));
    if (query.includes(en)) terms.add(query.replace(en, ko));
  }
  return [...terms].map((term) => ({ term, substring: /\P{ASCII}/u.test(term) ? term.length >= 2 : term.length >= 3 }));
}

// ---- the service ----------------------------------------------------------------------------

const isPool = (db: Queryable): db is pg.Pool => db instanceof pg.Pool;

const pgCode = (err: unknown) => (err as { code?: string }).code;

/**
 * Catalog rules over the repository. Built on a pool for the API, or on a client inside a caller's
 * transaction (the seed), in which case multi-step writes join that transaction.
 */
export function createCatalogService(
  db: Queryable,
  hooks: {
    /**
     * After a committed change of an event, its ticket types or its seats' prices (read caches drop
     * it); also after a new event (lists change); '*' after a keyword mapping change (searches change).
     */
    onEventChanged?: (eventId: string) => void;
    /** After a committed change of an event's general-admission quantities (a type added, resized or deleted). */
    onGeneralAdmissionChanged?: (eventId: string) => void;
  } = {},
) {
  const inTransaction = <T>(work: (client: Queryable) => Promise<T>): Promise<T> => (isPool(db) ? withTransaction(db, work) : work(db));
  const changed = <T>(eventId: string, result: T): T => {
    hooks.onEventChanged?.(eventId);
    return result;
  };

  async function getEventRow(client: Queryable, eventId: string, forUpdate = false): Promise<EventRow> {
    const event = await repo.findEvent(client, eventId, { forUpdate });
    if (!event) throw new AppError('EVENT_NOT_FOUND', `No event ${eventId}`);
    return event;
  }

  async function eventDetail(client: Queryable, eventId: string) {
    const event = await getEventRow(client, eventId);
    const types = await repo.listTicketTypes(client, eventId);
    return {
      ...toPublicEvent(event),
      ticketTypes: types.map((t) => ({
        id: t.id,
        name: t.name,
        kind: t.kind,
        price: t.price,
        totalQuantity: t.total_quantity,
        availableQuantity: t.available_quantity,
      })),
      totalSeats: types.filter((t) => t.kind === 'seated').reduce((n, t) => n + t.total_quantity, 0),
      seatVersion: event.seat_version,
    };
  }

  function checkSaleWindow(start: string | Date | null | undefined, end: string | Date | null | undefined) {
    if (start && end && new Date(end) < new Date(start)) {
      throw new AppError('VALIDATION_FAILED', 'The sale cannot end before it starts', {
        errors: [{ path: '/body/saleEndDate', message: 'is before saleStartDate' }],
      });
    }
  }

  return {
    // ---- seat layouts ----

    async createSeatLayout(input: CreateSeatLayoutInput) {
      const errors = validateLayout(input);
      if (errors.length) throw new AppError('INVALID_LAYOUT', 'The seat layout has errors; see errors[]', { errors });
      const row = await repo.insertSeatLayout(db, {
        name: input.name,
        description: input.description ?? null,
        totalSeats: layoutSeatCount(input.sections),
        config: { sections: input.sections },
      });
      if (!row) throw new AppError('LAYOUT_NAME_TAKEN', `A seat layout named ${input.name} exists`);
      return toPublicSeatLayout(row);
    },

    async getSeatLayout(layoutId: string) {
      const row = await repo.findSeatLayout(db, layoutId);
      if (!row) throw new AppError('LAYOUT_NOT_FOUND', `No seat layout ${layoutId}`);
      return toPublicSeatLayout(row);
    },

    listSeatLayouts: (limit: number, after: string[] | null) => repo.listSeatLayouts(db, limit, after),

    // ---- events ----

    /** Creates the event; with a layout, its seated ticket types and every seat in the same transaction. */
    async createEvent(input: CreateEventInput, createdBy: string | null) {
      checkSaleWindow(input.saleStartDate, input.saleEndDate);
      const detail = await inTransaction(async (client) => {
        const layout = input.seatLayoutId ? await repo.findSeatLayout(client, input.seatLayoutId) : undefined;
        if (input.seatLayoutId && !layout) throw new AppError('LAYOUT_NOT_FOUND', `No seat layout ${input.seatLayoutId}`);
        const eventId = await repo.insertEvent(client, {
          title: input.title,
          description: input.description ?? null,
          venue: input.venue,
          address: input.address ?? null,
          artistName: input.artistName ?? null,
          eventDate: input.eventDate,
          saleStartDate: input.saleStartDate ?? null,
          saleEndDate: input.saleEndDate ?? null,
          posterImageUrl: input.posterImageUrl ?? null,
          status: input.status ?? 'upcoming',
          seatLayoutId: input.seatLayoutId ?? null,
          currency: input.currency ?? 'KRW',
          createdBy,
        });
        if (layout) {
          const sections = layout.layout_config.sections as LayoutSectionInput[];
          // One seated ticket type per price category, in layout order. Their counts start at 0:
          // the seat insert below counts the seats in (the seats_count_insert trigger).
          const categories = new Map<string, { price: number }>();
          for (const s of sections) if (!categories.has(s.ticketType)) categories.set(s.ticketType, { price: s.price });
          const created = await repo.insertTicketTypes(
            client,
            eventId,
            [...categories].map(([name, c], i) => ({
              name,
              kind: 'seated' as const,
              price: c.price,
              total: 0,
              description: null,
              sortOrder: i,
            })),
          );
          const ids = new Map(created.map((t) => [t.name, t.id]));
          await repo.insertSeats(client, eventId, expandLayout(sections, ids));
        }
        return eventDetail(client, eventId);
      });
      return changed(detail.id, detail);
    },

    getEvent: (eventId: string) => eventDetail(db, eventId),

    /** A page of events: by date without `q`; with `q` ranked by match, paged by offset. */
    async listEvents(filter: ListEventsFilter, limit: number, cursor: string | undefined) {
      if (filter.q) {
        const offset = decodeOffsetCursor(cursor);
        const query = filter.q;
        const rows = await inTransaction(async (client) => {
          await repo.setSearchThreshold(client, SEARCH_MIN_RANK);
          return repo.searchEvents(client, await searchTerms(client, query), filter, SEARCH_MIN_RANK, limit + 1, offset);
        });
        const more = rows.length > limit && offset + limit <= MAX_OFFSET;
        return { data: rows.slice(0, limit).map(toPublicEvent), nextCursor: more ? encodeCursor([offset + limit]) : null };
      }
      const rows = await repo.listEvents(db, filter, limit + 1, EVENT_PAGES.decode(cursor));
      return pageOf(rows, limit, toPublicEvent);
    },

    async updateEvent(eventId: string, input: UpdateEventInput) {
      const detail = await inTransaction(async (client) => {
        const event = await getEventRow(client, eventId, true);
        // Cancelling is more than a status: holds end, pending reservations end, paid ones are refunded.
        if (input.status === 'cancelled' && event.status !== 'cancelled') {
          throw new AppError(
            'INVALID_STATUS_TRANSITION',
            `Cancel the event with POST /v1/events/${eventId}/cancel: it also releases holds and refunds paid reservations`,
          );
        }
        if (input.status && input.status !== event.status && !STATUS_TRANSITIONS[event.status].includes(input.status)) {
          const allowed = STATUS_TRANSITIONS[event.status];
          throw new AppError(
            'INVALID_STATUS_TRANSITION',
            `An event that is ${event.status} cannot become ${input.status}` +
              (allowed.length ? `; it may become ${allowed.join(', ')}` : '; that status is final'),
          );
        }
        checkSaleWindow(
          input.saleStartDate !== undefined ? input.saleStartDate : event.sale_start_date,
          input.saleEndDate !== undefined ? input.saleEndDate : event.sale_end_date,
        );
        await repo.updateEvent(client, eventId, input as Partial<Record<EventField, unknown>>);
        return eventDetail(client, eventId);
      });
      return changed(eventId, detail);
    },

    /** Deletes an event without live sales, with its seats and ticket types. */
    async deleteEvent(eventId: string) {
      await inTransaction(async (client) => {
        // The row lock waits for, and then blocks, reservations being written for this event.
        await getEventRow(client, eventId, true);
        const live = await repo.countLiveReservations(client, eventId);
        if (live > 0)
          throw new AppError('EVENT_HAS_SALES', `The event has ${live} pending or confirmed reservation(s); cancel the event instead`);
        try {
          await repo.deleteEvent(client, eventId);
        } catch (err) {
          // Something else (such as a payment record) still points at the event's history.
          if (pgCode(err) === '23503') throw new AppError('EVENT_HAS_SALES', 'The event has sales history; cancel the event instead');
          throw err;
        }
      });
      changed(eventId, undefined);
    },

    // ---- ticket types ----

    async listTicketTypes(eventId: string) {
      await getEventRow(db, eventId);
      return (await repo.listTicketTypes(db, eventId)).map(toPublicTicketType);
    },

    async createTicketType(eventId: string, input: CreateTicketTypeInput) {
      if (input.kind === 'general' && input.totalQuantity === undefined) {
        throw new AppError('VALIDATION_FAILED', 'General admission needs a totalQuantity', {
          errors: [{ path: '/body/totalQuantity', message: 'is required for kind general' }],
        });
      }
      if (input.kind === 'seated' && input.totalQuantity !== undefined) {
        throw new AppError('VALIDATION_FAILED', 'Seated ticket types count their seats', {
          errors: [{ path: '/body/totalQuantity', message: 'is only for kind general' }],
        });
      }
      await getEventRow(db, eventId);
      const [created] = await repo.insertTicketTypes(db, eventId, [
        {
          name: input.name,
          kind: input.kind,
          price: input.price,
          total: input.totalQuantity ?? 0,
          description: input.description ?? null,
          sortOrder: input.sortOrder ?? 0,
        },
      ]);
      if (!created) throw new AppError('TICKET_TYPE_EXISTS', `The event already has a ticket type named ${input.name}`);
      if (input.kind === 'general') hooks.onGeneralAdmissionChanged?.(eventId);
      return changed(eventId, toPublicTicketType((await repo.findTicketType(db, created.id))!));
    },

    async updateTicketType(ticketTypeId: string, input: UpdateTicketTypeInput) {
      const updated = await inTransaction(async (client) => {
        const type = await repo.lockTicketType(client, ticketTypeId);
        if (!type) throw new AppError('TICKET_TYPE_NOT_FOUND', `No ticket type ${ticketTypeId}`);
        if (input.totalQuantity !== undefined) {
          if (type.kind !== 'general') {
            throw new AppError('VALIDATION_FAILED', 'A seated ticket type counts its seats', {
              errors: [{ path: '/body/totalQuantity', message: 'is only for kind general' }],
            });
          }
          if (!(await repo.resizeGeneralTicketType(client, ticketTypeId, input.totalQuantity))) {
            throw new AppError('TICKET_TYPE_IN_USE', 'More tickets are already held or sold than the new total');
          }
        }
        if (input.price !== undefined && type.kind === 'seated') {
          const taken = await repo.repriceSeats(client, type.event_id, ticketTypeId, input.price);
          if (taken > 0)
            throw new AppError('TICKET_TYPE_IN_USE', `${taken} seat(s) of this type are held or sold; their price cannot change`);
        }
        try {
          await repo.updateTicketType(client, ticketTypeId, input);
        } catch (err) {
          if (pgCode(err) === '23505') throw new AppError('TICKET_TYPE_EXISTS', `The event already has a ticket type named ${input.name}`);
          throw err;
        }
        return toPublicTicketType((await repo.findTicketType(client, ticketTypeId))!);
      });
      if (input.totalQuantity !== undefined) hooks.onGeneralAdmissionChanged?.(updated.eventId);
      return changed(updated.eventId, updated);
    },

    /** Deletes a ticket type (with its seats) that nothing ever held or sold; 409 otherwise. */
    async deleteTicketType(ticketTypeId: string) {
      const { eventId, general } = await inTransaction(async (client) => {
        // Holds of the event wait until this commits, so none can take the type meanwhile. The lane
        // first, as a hold takes them (lane, then the type's row): the other order could deadlock.
        const type = (await repo.lockHoldLaneOfTicketType(client, ticketTypeId)) && (await repo.lockTicketType(client, ticketTypeId));
        if (!type) throw new AppError('TICKET_TYPE_NOT_FOUND', `No ticket type ${ticketTypeId}`);
        const usage = await repo.ticketTypeUsage(client, ticketTypeId);
        if (usage.held + usage.reserved + usage.taken_seats > 0) {
          throw new AppError(
            'TICKET_TYPE_IN_USE',
            `The ticket type has ${usage.held} live hold(s), ${usage.reserved} reservation item(s) and ${usage.taken_seats} seat(s) taken; it cannot be deleted`,
          );
        }
        try {
          await repo.deleteTicketType(client, ticketTypeId, type.event_id);
        } catch (err) {
          if (pgCode(err) === '23503') throw new AppError('TICKET_TYPE_IN_USE', 'The ticket type has sales history');
          throw err;
        }
        return { eventId: type.event_id, general: type.kind === 'general' };
      });
      if (general) hooks.onGeneralAdmissionChanged?.(eventId);
      // Its seats left the event: cached seat maps and details of it are dropped on every instance.
      changed(eventId, undefined);
    },

    /** Changes a layout no event uses; 409 LAYOUT_IN_USE once one does (its seats were made from it). */
    async updateSeatLayout(layoutId: string, input: UpdateSeatLayoutInput) {
      return inTransaction(async (client) => {
        const layout = await repo.lockSeatLayout(client, layoutId);
        if (!layout) throw new AppError('LAYOUT_NOT_FOUND', `No seat layout ${layoutId}`);
        const used = await repo.countEventsUsingLayout(client, layoutId);
        if (used > 0) throw new AppError('LAYOUT_IN_USE', `${used} event(s) use this layout; create a new one instead`);
        const sections = input.sections ?? (layout.layout_config.sections as LayoutSectionInput[]);
        if (input.sections) {
          const errors = validateLayout({ sections });
          if (errors.length) throw new AppError('INVALID_LAYOUT', 'The seat layout has errors; see errors[]', { errors });
        }
        try {
          const row = await repo.updateSeatLayout(client, layoutId, {
            name: input.name ?? layout.name,
            description: input.description !== undefined ? input.description : layout.description,
            totalSeats: layoutSeatCount(sections),
            config: { ...layout.layout_config, sections },
          });
          return toPublicSeatLayout(row);
        } catch (err) {
          if (pgCode(err) === '23505') throw new AppError('LAYOUT_NAME_TAKEN', `A seat layout named ${input.name} exists`);
          throw err;
        }
      });
    },

    async deleteSeatLayout(layoutId: string) {
      await inTransaction(async (client) => {
        const layout = await repo.lockSeatLayout(client, layoutId);
        if (!layout) throw new AppError('LAYOUT_NOT_FOUND', `No seat layout ${layoutId}`);
        const used = await repo.countEventsUsingLayout(client, layoutId);
        if (used > 0) throw new AppError('LAYOUT_IN_USE', `${used} event(s) use this layout`);
        try {
          await repo.deleteSeatLayout(client, layoutId);
        } catch (err) {
          if (pgCode(err) === '23503') throw new AppError('LAYOUT_IN_USE', 'An event uses this layout');
          throw err;
        }
      });
    },

    // ---- news ----

    async createNews(input: CreateNewsInput, authorId: string | null) {
      return toPublicNews(
        await repo.insertNews(db, {
          title: input.title,
          content: input.content,
          author: input.author ?? null,
          authorId,
          isPinned: input.isPinned ?? false,
        }),
      );
    },

    listNews: (limit: number, after: string[] | null) => repo.listNews(db, limit, after),

    async viewNews(newsId: string) {
      const row = await repo.viewNews(db, newsId);
      if (!row) throw new AppError('NEWS_NOT_FOUND', `No news item ${newsId}`);
      return toPublicNews(row);
    },

    async updateNews(newsId: string, input: UpdateNewsInput) {
      const row = await repo.updateNews(db, newsId, input);
      if (!row) throw new AppError('NEWS_NOT_FOUND', `No news item ${newsId}`);
      return toPublicNews(row);
    },

    async deleteNews(newsId: string) {
      if (!(await repo.deleteNews(db, newsId))) throw new AppError('NEWS_NOT_FOUND', `No news item ${newsId}`);
    },

    // ---- keyword mappings ----

    async createKeywordMapping(input: CreateKeywordMappingInput) {
      const row = await repo.insertKeywordMapping(db, {
        korean: input.korean.trim(),
        english: input.english.trim(),
        entityType: input.entityType ?? 'artist',
      });
      if (!row) throw new AppError('KEYWORD_MAPPING_EXISTS', `${input.korean} ↔ ${input.english} is already mapped`);
      // Mappings change what searches find: '*' drops cached lists and search results.
      return changed('*', toPublicKeywordMapping(row));
    },

    listKeywordMappings: (limit: number, after: string[] | null) => repo.listKeywordMappings(db, limit, after),

    async deleteKeywordMapping(mappingId: string) {
      if (!(await repo.deleteKeywordMapping(db, mappingId)))
        throw new AppError('KEYWORD_MAPPING_NOT_FOUND', `No keyword mapping ${mappingId}`);
      changed('*', undefined);
    },
  };
}

export type CatalogService = ReturnType<typeof createCatalogService>;
