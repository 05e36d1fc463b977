// The catalog topics through the built `tiketi` against a live API: create from YAML or JSON files,
// list, get, update, delete, and the error contract on the way.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, createTestApp, registerUser, type TestApp } from '../../test/harness/app.js';
import { resultOf, runCli, tempConfigHome, type CliRun } from './run-cli.js';

let t: TestApp;
let env: Record<string, string>;
let dir: string;
const ok = (run: CliRun) => {
  expect(run.stderr, run.stdout).toBe('');
  expect(run.code).toBe(0);
  return resultOf(run) as Record<string, unknown> & { id: string };
};
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('local input errors (no API needed)', () => {
  it('refuses a missing file, bad YAML and a non-object body with INVALID_FILE and exit code 2', async () => {
    const home = tempConfigHome();
    const local = { XDG_CONFIG_HOME: home, TIKETI_API_URL: 'http://127.0.0.1:9', TIKETI_TOKEN: 'unused' };
    const missing = await runCli(['events', 'create', '--file', path.join(home, 'nope.yaml'), '--json'], local);
    expect(missing.code).toBe(2);
    expect(missing.json).toMatchObject({ status: 'error', code: 'INVALID_FILE', exitCode: 2 });
    const badYaml = await runCli(['news', 'create', '--data', 'title: [unclosed', '--json'], local);
    expect(badYaml.json).toMatchObject({ code: 'INVALID_FILE', exitCode: 2 });
    const list = await runCli(['news', 'create', '--data', '[1, 2]', '--json'], local);
    expect(list.json).toMatchObject({ code: 'INVALID_FILE', exitCode: 2 });
    const neither = await runCli(['news', 'create', '--json'], local);
    expect(neither.json).toMatchObject({ code: 'INVALID_ARGUMENTS', exitCode: 2 });
  });
});

describe('catalog topics against a live API', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    const admin = await createAdmin(t);
    dir = tempConfigHome();
    env = { XDG_CONFIG_HOME: dir };
    ok(await runCli(['login', '-e', admin.email, '-p', admin.password, '--api-url', t.baseUrl, '--json'], env));
  });
  afterAll(async () => t?.close());

  it('creates a seat layout from YAML and an event from JSON whose seats come from it, then lists, searches, updates and deletes', async () => {
    const layoutFile = file(
      'layout.yaml',
      `name: CLI Hall
sections:
  - { name: VIP, ticketType: VIP, price: 165000, rows: 2, seatsPerRow: 12 }
  - name: R
    ticketType: R
    price: 132000
    rowList: [{ label: F, seats: 8 }, { label: G, seats: 9 }]
`,
    );
    const layout = ok(await runCli(['seat-layouts', 'create', '--file', layoutFile, '--json'], env));
    expect(layout).toMatchObject({ name: 'CLI Hall', totalSeats: 41 });
    expect(ok(await runCli(['seat-layouts', 'get', layout.id, '--json'], env))).toMatchObject({ id: layout.id, totalSeats: 41 });
    const layouts = ok(await runCli(['seat-layouts', 'list', '--json'], env)) as unknown as { data: { id: string }[] };
    expect(layouts.data.map((l) => l.id)).toContain(layout.id);

    const eventFile = file(
      'event.json',
      JSON.stringify({
        title: 'CLI Night with IU',
        venue: 'Olympic Hall',
        artistName: 'IU',
        eventDate: '2027-05-01T10:00:00Z',
        seatLayoutId: layout.id,
      }),
    );
    const event = ok(await runCli(['events', 'create', '--file', eventFile, '--json'], env));
    expect(event).toMatchObject({ title: 'CLI Night with IU', status: 'upcoming', totalSeats: 41 });
    expect(event.ticketTypes).toHaveLength(2);

    const human = await runCli(['events', 'get', event.id], env);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('CLI Night with IU');
    expect(human.stdout).toContain('ticketTypes:');

    const found = ok(await runCli(['events', 'list', '--q', 'CLI Night', '--json'], env)) as unknown as { data: { id: string }[] };
    expect(found.data.map((e) => e.id)).toContain(event.id);

    const onSale = ok(await runCli(['events', 'update', event.id, '--data', 'status: on_sale', '--json'], env));
    expect(onSale.status).toBe('on_sale');
    const listed = ok(await runCli(['events', 'list', '--status', 'on_sale', '--all', '--json'], env)) as unknown as {
      data: { id: string }[];
      nextCursor: null;
    };
    expect(listed.data.map((e) => e.id)).toContain(event.id);
    expect(listed.nextCursor).toBeNull();

    const bad = await runCli(['events', 'update', event.id, '--data', 'status: bogus', '--json'], env);
    expect(bad.code).toBe(2);
    expect(bad.json).toMatchObject({ status: 'error', code: 'VALIDATION_FAILED', exitCode: 2 });
    expect((bad.json as { errors: { path: string }[] }).errors[0]!.path).toBe('/body/status');

    expect(ok(await runCli(['events', 'delete', event.id, '--yes', '--json'], env))).toEqual({ id: event.id, deleted: true });
    const gone = await runCli(['events', 'get', event.id, '--json'], env);
    expect(gone.code).toBe(5);
    expect(gone.json).toMatchObject({ code: 'EVENT_NOT_FOUND', exitCode: 5 });
  });

  it('names the bad part of a layout (INVALID_LAYOUT, exit 2)', async () => {
    const res = await runCli(
      ['seat-layouts', 'create', '--data', '{ name: Broken, sections: [{ name: A, ticketType: A, price: 1, rows: 2 }] }', '--json'],
      env,
    );
    expect(res.code).toBe(2);
    expect(res.json).toMatchObject({ code: 'INVALID_LAYOUT', exitCode: 2 });
    expect((res.json as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain('/body/sections/0/seatsPerRow');
  });

  it('adds, lists and updates ticket types of an event', async () => {
    const event = ok(
      await runCli(['events', 'create', '--data', '{ title: GA Night, venue: Club, eventDate: "2027-06-01T10:00:00Z" }', '--json'], env),
    );
    const standing = ok(
      await runCli(
        ['ticket-types', 'create', event.id, '--data', '{ name: Standing, kind: general, price: 50000, totalQuantity: 300 }', '--json'],
        env,
      ),
    );
    expect(standing).toMatchObject({ name: 'Standing', kind: 'general', totalQuantity: 300, availableQuantity: 300 });
    const list = ok(await runCli(['ticket-types', 'list', event.id, '--json'], env)) as unknown as { data: { id: string }[] };
    expect(list.data.map((tt) => tt.id)).toEqual([standing.id]);
    const repriced = ok(await runCli(['ticket-types', 'update', standing.id, '--data', 'price: 55000', '--json'], env));
    expect(repriced.price).toBe(55000);
  });

  it('publishes, reads, edits and deletes news', async () => {
    const news = ok(
      await runCli(
        ['news', 'create', '--file', file('news.yaml', 'title: Doors open at six\ncontent: Bring your ticket.\n'), '--json'],
        env,
      ),
    );
    expect(news).toMatchObject({ title: 'Doors open at six', isPinned: false });
    expect(ok(await runCli(['news', 'get', news.id, '--json'], env))).toMatchObject({ id: news.id, views: 1 });
    expect(ok(await runCli(['news', 'update', news.id, '--data', 'isPinned: true', '--json'], env))).toMatchObject({ isPinned: true });
    const list = ok(await runCli(['news', 'list', '--json'], env)) as unknown as { data: { id: string }[] };
    expect(list.data[0]!.id).toBe(news.id); // pinned first
    ok(await runCli(['news', 'delete', news.id, '--yes', '--json'], env));
    expect((await runCli(['news', 'get', news.id, '--json'], env)).json).toMatchObject({ code: 'NEWS_NOT_FOUND', exitCode: 5 });
  });

  it('maps keywords, refuses a duplicate with the conflict exit code, and removes the mapping', async () => {
    const mapping = ok(await runCli(['keyword-mappings', 'create', '--data', '{ korean: 아이유, english: IU }', '--json'], env));
    expect(mapping).toMatchObject({ korean: '아이유', english: 'IU' });
    const list = ok(await runCli(['keyword-mappings', 'list', '--all', '--json'], env)) as unknown as { data: { id: string }[] };
    expect(list.data.map((m) => m.id)).toContain(mapping.id);
    const dup = await runCli(['keyword-mappings', 'create', '--data', '{ korean: 아이유, english: IU }', '--json'], env);
    expect(dup.code).toBe(6);
    expect(dup.json).toMatchObject({ code: 'KEYWORD_MAPPING_EXISTS', exitCode: 6 });
    expect(ok(await runCli(['keyword-mappings', 'delete', mapping.id, '--yes', '--json'], env))).toEqual({ id: mapping.id, deleted: true });
  });

  it('refuses admin commands to a user account with the permission exit code', async () => {
    const user = await registerUser(t.app);
    const userEnv = { XDG_CONFIG_HOME: tempConfigHome(), TIKETI_API_URL: t.baseUrl, TIKETI_TOKEN: user.token };
    const res = await runCli(['news', 'create', '--data', '{ title: x, content: y }', '--json'], userEnv);
    expect(res.code).toBe(4);
    expect(res.json).toMatchObject({ code: 'FORBIDDEN', exitCode: 4 });
    // Public reads work for anyone, even without a credential.
    const anonymous = await runCli(['events', 'list', '--json'], { XDG_CONFIG_HOME: tempConfigHome(), TIKETI_API_URL: t.baseUrl });
    expect(anonymous.code).toBe(0);
  });
});
