// Catalog: search in Korean and English, listing and pagination, news, keyword mappings, sample seed.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSampleCatalog } from '../src/modules/catalog/seed.js';
import { bearer, createAdmin, createTestApp, type TestApp } from '../../test/harness/app.js';

let t: TestApp;
let adminToken: string;

beforeAll(async () => {
  t = await createTestApp();
  adminToken = (await createAdmin(t)).token;
});
afterAll(async () => t?.close());

const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown, token: string | null = adminToken) =>
  t.app.inject({ method, url, ...(payload !== undefined ? { payload: payload as object } : {}), headers: token ? bearer(token) : {} });

async function createEvent(body: Record<string, unknown>) {
  const res = await call('POST', '/v1/events', { eventDate: '2027-05-01T10:00:00Z', ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; title: string };
}

const search = async (q: string, extra = '') => {
  const res = await call('GET', `/v1/events?q=${encodeURIComponent(q)}${extra}`, undefined, null);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { data: { id: string; title: string }[]; nextCursor: string | null };
};

describe('search', () => {
  let iuKorean: { id: string };
  let iuEnglish: { id: string };
  let blackpink: { id: string };
  let musical: { id: string };

  beforeAll(async () => {
    for (const [korean, english, entityType] of [
      ['아이유', 'IU', 'artist'],
      ['블랙핑크', 'BLACKPINK', 'artist'],
      ['올림픽공원', 'Olympic Park', 'venue'],
    ]) {
      expect((await call('POST', '/v1/keyword-mappings', { korean, english, entityType })).statusCode).toBe(201);
    }
    iuKorean = await createEvent({ title: '아이유 단독 콘서트 〈골든 아워〉', artistName: '아이유', venue: '잠실실내체육관' });
    iuEnglish = await createEvent({ title: 'IU Fan Meeting in Busan', artistName: 'IU', venue: 'BEXCO' });
    blackpink = await createEvent({ title: 'BLACKPINK WORLD TOUR IN GOYANG', artistName: 'BLACKPINK', venue: 'Goyang Stadium' });
    musical = await createEvent({ title: '뮤지컬 〈레미제라블〉', venue: '올림픽공원 우리금융아트홀' });
    // Noise that must not match: "iu" inside "stadium", other artists.
    await createEvent({ title: 'K League Final', artistName: 'FC Seoul', venue: 'Seoul World Cup Stadium' });
    await createEvent({ title: 'Seventeen Concert', artistName: 'SEVENTEEN', venue: 'Gocheok Sky Dome' });
  });

  it('finds IU\'s events from the Korean name and the Korean-titled event from "IU"', async () => {
    const korean = await search('아이유');
    expect(korean.data.map((e) => e.id).sort()).toEqual([iuKorean.id, iuEnglish.id].sort());
    const english = await search('IU');
    expect(english.data.map((e) => e.id).sort()).toEqual([iuKorean.id, iuEnglish.id].sort());
    const lower = await search('iu');
    expect(lower.data).toHaveLength(2);
  });

  it('forgives typos and ranks the best match first', async () => {
    const typo = await search('Blackpnk');
    expect(typo.data[0]?.id).toBe(blackpink.id);
    const korean = await search('블랙핑크');
    expect(korean.data[0]?.id).toBe(blackpink.id);
    const venue = await search('Olympic Park');
    expect(venue.data.map((e) => e.id)).toEqual([musical.id]);
    // A Korean typo (레미제라블 → 레미재라블) finds the musical too.
    const koreanTypo = await search('레미재라블');
    expect(koreanTypo.data[0]?.id).toBe(musical.id);
    const nothing = await search('zzzz qqqq');
    expect(nothing.data).toEqual([]);
  });

  it('combines search with filters and pages through ranked results', async () => {
    const onlyOnSale = await search('아이유', '&status=on_sale');
    expect(onlyOnSale.data).toEqual([]);
    await call('PATCH', `/v1/events/${iuEnglish.id}`, { status: 'on_sale' });
    expect((await search('아이유', '&status=on_sale')).data.map((e) => e.id)).toEqual([iuEnglish.id]);

    const first = await search('IU', '&limit=1');
    expect(first.data).toHaveLength(1);
    expect(first.nextCursor).not.toBeNull();
    const second = await search('IU', `&limit=1&cursor=${first.nextCursor}`);
    expect(second.data).toHaveLength(1);
    expect(second.data[0]!.id).not.toBe(first.data[0]!.id);
    expect(second.nextCursor).toBeNull();
  });
});

describe('listing events', () => {
  it('walks all pages in date order without duplicates, and filters by date range', async () => {
    const marker = randomUUID().slice(0, 6);
    const created: string[] = [];
    for (let i = 0; i < 7; i++) {
      // Two events share each date, so the id tie-break is exercised.
      const day = String(10 + Math.floor(i / 2)).padStart(2, '0');
      created.push((await createEvent({ title: `Paging ${marker} ${i}`, venue: 'Hall', eventDate: `2030-01-${day}T10:00:00Z` })).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/events?limit=3&from=2030-01-01T00:00:00Z&to=2030-02-01T00:00:00Z${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await call('GET', url, undefined, null)).json();
      pages++;
      seen.push(...page.data.map((e: { id: string }) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual([...created].sort());

    const dates = (await call('GET', '/v1/events?limit=200&from=2030-01-11T00:00:00Z&to=2030-01-12T00:00:00Z', undefined, null)).json();
    expect(dates.data).toHaveLength(2);
    const all = (await call('GET', '/v1/events?limit=200', undefined, null)).json().data as { eventDate: string }[];
    expect(all.map((e) => e.eventDate)).toEqual([...all.map((e) => e.eventDate)].sort());

    const forged = await call('GET', '/v1/events?cursor=bm9wZQ', undefined, null);
    expect(forged.statusCode).toBe(400);
    expect(forged.json().code).toBe('VALIDATION_FAILED');
  });
});

describe('news', () => {
  it('lists pinned first then newest, counts views atomically, edits and deletes', async () => {
    const ids: string[] = [];
    for (const [title, isPinned] of [
      ['old', false],
      ['pinned', true],
      ['new', false],
    ] as const) {
      const res = await call('POST', '/v1/news', { title, content: `${title} body`, isPinned });
      expect(res.statusCode).toBe(201);
      ids.push(res.json().id);
    }
    const list = (await call('GET', '/v1/news', undefined, null)).json();
    expect(list.data.map((n: { title: string }) => n.title)).toEqual(['pinned', 'new', 'old']);
    const adminName = (await t.db.query(`SELECT name FROM auth.users WHERE role = 'admin' LIMIT 1`)).rows[0].name;
    // The byline defaults to the admin who posted.
    expect(list.data[0]).toMatchObject({ isPinned: true, views: 0, author: adminName });

    const paged = (await call('GET', '/v1/news?limit=2', undefined, null)).json();
    const rest = (await call('GET', `/v1/news?limit=2&cursor=${paged.nextCursor}`, undefined, null)).json();
    expect([...paged.data, ...rest.data].map((n: { title: string }) => n.title)).toEqual(['pinned', 'new', 'old']);
    expect(rest.nextCursor).toBeNull();

    const oldId = ids[0]!;
    const before = (await t.db.query('SELECT updated_at FROM ticket.news WHERE id = $1', [oldId])).rows[0].updated_at as Date;
    const views = await Promise.all(Array.from({ length: 25 }, () => call('GET', `/v1/news/${oldId}`, undefined, null)));
    expect(views.every((r) => r.statusCode === 200)).toBe(true);
    expect(Math.max(...views.map((r) => r.json().views))).toBe(25);
    const stored = (await t.db.query('SELECT views, updated_at FROM ticket.news WHERE id = $1', [oldId])).rows[0];
    expect(stored.views).toBe(25);
    // A view is not an edit.
    expect(stored.updated_at.getTime()).toBe(before.getTime());

    const pinned = await call('PATCH', `/v1/news/${oldId}`, { isPinned: true, title: 'old but pinned' });
    expect(pinned.json()).toMatchObject({ isPinned: true, title: 'old but pinned', views: 25 });
    expect((await call('PATCH', `/v1/news/${oldId}`, { views: 1000 })).statusCode).toBe(400);

    expect((await call('DELETE', `/v1/news/${oldId}`)).statusCode).toBe(204);
    expect((await call('GET', `/v1/news/${oldId}`, undefined, null)).json().code).toBe('NEWS_NOT_FOUND');
    expect((await call('DELETE', `/v1/news/${oldId}`)).statusCode).toBe(404);
  });
});

describe('keyword mappings', () => {
  it('refuses duplicates whatever their case, lists and deletes', async () => {
    const created = await call('POST', '/v1/keyword-mappings', { korean: '세븐틴', english: 'SEVENTEEN' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ korean: '세븐틴', english: 'SEVENTEEN', entityType: 'artist' });
    const dup = await call('POST', '/v1/keyword-mappings', { korean: '세븐틴', english: 'seventeen' });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().code).toBe('KEYWORD_MAPPING_EXISTS');

    expect((await search('세븐틴')).data.map((e) => e.title)).toContain('Seventeen Concert');
    const list = (await call('GET', '/v1/keyword-mappings?limit=200')).json();
    expect(list.data.map((m: { korean: string }) => m.korean)).toContain('세븐틴');

    const id = created.json().id;
    expect((await call('DELETE', `/v1/keyword-mappings/${id}`)).statusCode).toBe(204);
    expect((await call('DELETE', `/v1/keyword-mappings/${id}`)).json().code).toBe('KEYWORD_MAPPING_NOT_FOUND');
    expect((await search('세븐틴')).data).toEqual([]);
  });
});

describe('sample seed', () => {
  it('loads into an empty database once, even when two instances start together', async () => {
    const empty = await createTestApp();
    try {
      const [a, b] = await Promise.all([seedSampleCatalog(empty.db), seedSampleCatalog(empty.db)]);
      expect([a.loaded, b.loaded].sort()).toEqual([false, true]);
      const again = await seedSampleCatalog(empty.db);
      expect(again.loaded).toBe(false);

      const counts = (
        await empty.db.query(
          `SELECT (SELECT count(*) FROM ticket.events)::int AS events,
                (SELECT count(*) FROM ticket.news)::int AS news,
                (SELECT count(*) FROM ticket.news WHERE is_pinned)::int AS pinned,
                (SELECT count(*) FROM ticket.keyword_mappings)::int AS mappings,
                (SELECT count(*) FROM ticket.seat_layouts)::int AS layouts`,
        )
      ).rows[0];
      expect(counts).toMatchObject({ events: 6, news: 3, pinned: 1, layouts: 2 });
      expect(counts.mappings).toBeGreaterThanOrEqual(4);

      // The seated event on sale: ≥ 500 seats in ≥ 3 priced sections, generated like the API does.
      const seated = (
        await empty.db.query(
          `SELECT e.id, count(s.*)::int AS seats, count(DISTINCT s.section)::int AS sections, count(DISTINCT s.price)::int AS prices
         FROM ticket.events e JOIN ticket.seats s ON s.event_id = e.id
         WHERE e.status = 'on_sale' GROUP BY e.id`,
        )
      ).rows;
      expect(seated).toHaveLength(1);
      expect(seated[0].seats).toBeGreaterThanOrEqual(500);
      expect(seated[0].sections).toBeGreaterThanOrEqual(3);
      expect(seated[0].prices).toBeGreaterThanOrEqual(3);

      const general = (
        await empty.db.query(
          `SELECT count(DISTINCT e.id)::int AS n FROM ticket.events e JOIN ticket.ticket_types t ON t.event_id = e.id
         WHERE e.status = 'on_sale' AND t.kind = 'general' AND t.available_quantity = t.total_quantity AND t.total_quantity > 0`,
        )
      ).rows[0];
      expect(general.n).toBeGreaterThanOrEqual(1);

      // Through the API: 아이유 finds IU's concert, a typo finds BLACKPINK.
      const iu = (await empty.app.inject({ method: 'GET', url: `/v1/events?q=${encodeURIComponent('IU')}` })).json();
      expect(iu.data[0].artistName).toBe('아이유');
      expect(iu.data[0]).toMatchObject({ status: 'on_sale', minPrice: 99000, maxPrice: 165000 });
      const bp = (await empty.app.inject({ method: 'GET', url: '/v1/events?q=blakpink' })).json();
      expect(bp.data[0].artistName).toBe('BLACKPINK');
      const news = (await empty.app.inject({ method: 'GET', url: '/v1/news' })).json();
      expect(news.data[0].isPinned).toBe(true);
    } finally {
      await empty.close();
    }
  });

  it('does nothing to a database that already has events', async () => {
    await createEvent({ title: 'Already here', venue: 'Hall' });
    const before = (await t.db.query('SELECT count(*)::int AS n FROM ticket.events')).rows[0].n;
    expect(before).toBeGreaterThan(0);
    expect((await seedSampleCatalog(t.db)).loaded).toBe(false);
    expect((await t.db.query('SELECT count(*)::int AS n FROM ticket.events')).rows[0].n).toBe(before);
  });
});
