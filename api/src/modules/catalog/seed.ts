// Loads the sample catalog (db/seeds/sample.json) into a database without events, through the same
// service functions the API uses, so seats come from layouts exactly as they do for an admin.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { withTransaction, type Db } from '../../infra/db.js';
import { AppError } from '../../errors.js';
import { catalogRepository as repo } from './repository.js';
import { createCatalogService } from './service.js';
import type {
  CreateEventInput,
  CreateKeywordMappingInput,
  CreateNewsInput,
  CreateSeatLayoutInput,
  CreateTicketTypeInput,
} from './schemas.js';

export const SAMPLE_CATALOG_PATH = fileURLToPath(new URL('../../../../db/seeds/sample.json', import.meta.url));

/** A day relative to the load date, at a wall-clock time in Korea (UTC+9). */
interface RelativeTime {
  inDays: number;
  time: string;
}

interface SampleEvent extends Omit<CreateEventInput, 'eventDate' | 'saleStartDate' | 'saleEndDate' | 'seatLayoutId'> {
  date: RelativeTime;
  saleStart?: RelativeTime;
  saleEnd?: RelativeTime;
  /** Name of a layout in the same file. */
  seatLayout?: string;
  ticketTypes?: CreateTicketTypeInput[];
}

export interface SampleCatalog {
  keywordMappings: CreateKeywordMappingInput[];
  seatLayouts: CreateSeatLayoutInput[];
  events: SampleEvent[];
  news: CreateNewsInput[];
}

export interface SeedResult {
  /** False when the database already had events and nothing was loaded. */
  loaded: boolean;
  events: number;
  seats: number;
}

function resolveTime(t: RelativeTime, now: Date): string {
  const kstToday = new Date(now.getTime() + 9 * 3600_000).toISOString().slice(0, 10);
  const day = new Date(`${kstToday}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + t.inDays);
  return new Date(`${day.toISOString().slice(0, 10)}T${t.time}:00+09:00`).toISOString();
}

export function readSampleCatalog(path = SAMPLE_CATALOG_PATH): SampleCatalog {
  return JSON.parse(readFileSync(path, 'utf8')) as SampleCatalog;
}

/**
 * Loads the catalog in one transaction if the database has no events. A transaction-scoped advisory
 * lock makes instances that start together take turns; the later ones find events and skip.
 */
export async function seedSampleCatalog(db: Db, catalog: SampleCatalog = readSampleCatalog(), now = new Date()): Promise<SeedResult> {
  return withTransaction(db, async (client) => {
    await repo.lockSampleSeed(client);
    if (await repo.hasAnyEvent(client)) return { loaded: false, events: 0, seats: 0 };
    const service = createCatalogService(client);

    for (const mapping of catalog.keywordMappings) {
      await service.createKeywordMapping(mapping).catch((err: unknown) => {
        if (!(err instanceof AppError && err.code === 'KEYWORD_MAPPING_EXISTS')) throw err;
      });
    }

    const layoutIds = new Map<string, string>();
    for (const layout of catalog.seatLayouts) {
      // An admin may have made layouts before any event; reuse one with the same name.
      const existing = await repo.findSeatLayoutByName(client, layout.name);
      layoutIds.set(layout.name, existing?.id ?? (await service.createSeatLayout(layout)).id);
    }

    let seats = 0;
    for (const { date, saleStart, saleEnd, seatLayout, ticketTypes, ...event } of catalog.events) {
      const layoutId = seatLayout ? layoutIds.get(seatLayout) : undefined;
      if (seatLayout && !layoutId) throw new Error(`Sample event "${event.title}" names an unknown layout "${seatLayout}"`);
      const created = await service.createEvent(
        {
          ...event,
          eventDate: resolveTime(date, now),
          ...(saleStart ? { saleStartDate: resolveTime(saleStart, now) } : {}),
          ...(saleEnd ? { saleEndDate: resolveTime(saleEnd, now) } : {}),
          ...(layoutId ? { seatLayoutId: layoutId } : {}),
        },
        null,
      );
      seats += created.totalSeats;
      for (const type of ticketTypes ?? []) await service.createTicketType(created.id, type);
    }

    for (const item of catalog.news) await service.createNews(item, null);
    return { loaded: true, events: catalog.events.length, seats };
  });
}
