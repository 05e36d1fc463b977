// The catalog namespaces against a real API server: what an admin script and a storefront do.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, createTestApp, type TestApp } from '../../test/harness/app.js';
import { ConflictError, NotFoundError, PermissionError, Tiketi, ValidationError } from '../src/index.js';

let t: TestApp;
let anonymous: Tiketi;
let admin: Tiketi;
beforeAll(async () => {
  t = await createTestApp({ listen: true });
  anonymous = new Tiketi({ baseUrl: t.baseUrl });
  admin = anonymous.withToken((await createAdmin(t)).token);
});
afterAll(async () => t?.close());

const inAMonth = () => new Date(Date.now() + 30 * 86_400_000).toISOString();

describe('catalog', () => {
  it('builds a seated event from a layout, prices it, lists and searches it, and deletes it', async () => {
    const layout = await admin.seatLayouts.create({
      name: `Hall ${randomUUID().slice(0, 6)}`,
      sections: [
        { name: 'VIP', ticketType: 'VIP', price: 150_000, rows: 2, seatsPerRow: 5 },
        { name: 'R', ticketType: 'R', price: 110_000, rows: 3, seatsPerRow: 10 },
      ],
    });
    expect(layout.totalSeats).toBe(40);
    expect((await anonymous.seatLayouts.get(layout.id)).id).toBe(layout.id);
    expect((await anonymous.seatLayouts.list().toArray()).map((l) => l.id)).toContain(layout.id);

    const title = `SDK Live ${randomUUID().slice(0, 6)}`;
    const event = await admin.events.create({
      title,
      venue: 'Olympic Hall',
      artistName: 'IU',
      eventDate: inAMonth(),
      seatLayoutId: layout.id,
      currency: 'KRW',
    });
    expect(event).toMatchObject({ title, status: 'upcoming', totalSeats: 40 });
    expect(event.ticketTypes.map((tt) => tt.name).sort()).toEqual(['R', 'VIP']);

    const types = await anonymous.ticketTypes.list(event.id);
    const vip = types.find((tt) => tt.name === 'VIP')!;
    expect(vip).toMatchObject({ kind: 'seated', price: 150_000, totalQuantity: 10 });
    const repriced = await admin.ticketTypes.update(vip.id, { price: 160_000 });
    expect(repriced.price).toBe(160_000);
    const standing = await admin.ticketTypes.create(event.id, { name: 'Standing', kind: 'general', price: 50_000, totalQuantity: 100 });
    expect(standing.availableQuantity).toBe(100);

    const onSale = await admin.events.update(event.id, { status: 'on_sale' });
    expect(onSale.status).toBe('on_sale');
    expect((await anonymous.events.get(event.id)).status).toBe('on_sale');
    const found = await anonymous.events.list({ q: title, status: 'on_sale' });
    expect(found.data.map((e) => e.id)).toContain(event.id);

    await admin.events.delete(event.id);
    const gone = await anonymous.events.get(event.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(NotFoundError);
    expect(gone).toMatchObject({ code: 'EVENT_NOT_FOUND' });
  });

  it('pages through events with for await', async () => {
    const tag = randomUUID().slice(0, 6);
    const ids = [];
    for (let i = 0; i < 5; i++)
      ids.push((await admin.events.create({ title: `Paged ${tag} ${i}`, venue: 'Hall', eventDate: inAMonth() })).id);
    const seen: string[] = [];
    for await (const e of anonymous.events.list({ limit: 2 })) seen.push(e.id);
    expect(seen).toEqual(expect.arrayContaining(ids));
    expect(new Set(seen).size).toBe(seen.length); // no page repeats an event
  });

  it('refuses a bad status move and admin calls without an admin', async () => {
    const event = await admin.events.create({ title: 'Lifecycle', venue: 'Hall', eventDate: inAMonth() });
    const move = await admin.events
      .update(event.id, { status: 'ended' })
      .then(() => admin.events.update(event.id, { status: 'on_sale' }))
      .catch((e: unknown) => e);
    expect(move).toMatchObject({ code: 'INVALID_STATUS_TRANSITION' });
    const denied = await anonymous.events.create({ title: 'x', venue: 'y', eventDate: inAMonth() }).catch((e: unknown) => e);
    expect(denied).toMatchObject({ status: 401 });
    const bad = await admin.events.create({ title: '', venue: 'y', eventDate: 'not a date' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
  });

  it('manages news (pinned first, views counted) and keyword mappings', async () => {
    const plain = await admin.news.create({ title: 'Plain notice', content: 'Hello' });
    const pinned = await admin.news.create({ title: 'Pinned notice', content: 'Read me', isPinned: true });
    const first = await anonymous.news.list({ limit: 1 });
    expect(first.data[0]!.id).toBe(pinned.id);
    await anonymous.news.get(plain.id);
    expect((await anonymous.news.get(plain.id)).views).toBe(2);
    expect((await admin.news.update(plain.id, { title: 'Edited' })).title).toBe('Edited');
    await admin.news.delete(plain.id);
    await expect(anonymous.news.get(plain.id)).rejects.toMatchObject({ code: 'NEWS_NOT_FOUND' });

    const korean = `가수${randomUUID().slice(0, 4)}`;
    const mapping = await admin.keywordMappings.create({ korean, english: 'Singer' });
    const again = await admin.keywordMappings.create({ korean, english: 'Singer' }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ConflictError);
    expect((await admin.keywordMappings.list().toArray()).map((m) => m.id)).toContain(mapping.id);
    const user = await anonymous.auth.register({
      email: `kw-${randomUUID().slice(0, 8)}@example.com`,
      password: 'correct horse battery',
      name: 'U',
    });
    await expect(anonymous.withToken(user.token).keywordMappings.list()).rejects.toBeInstanceOf(PermissionError);
    await admin.keywordMappings.delete(mapping.id);
    await expect(admin.keywordMappings.delete(mapping.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});
