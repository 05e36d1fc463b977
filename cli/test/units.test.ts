// The CLI's pure parts without an API: URL normalising, tables, update bodies, charts, and the
// waiting fetch (with an injected fetch standing in for the network, not for the API's logic).
import { describe, expect, it } from 'vitest';
import { bar, sparkline } from '../src/charts.js';
import { updateBody } from '../src/input.js';
import { fitWidths, pickColumns, renderTable } from '../src/table.js';
import { normaliseApiUrl, sameOrigin } from '../src/urls.js';
import { waitingFetch, type Wait } from '../src/waiting-fetch.js';

describe('API URLs', () => {
  it('strips a trailing slash and /v1, and refuses what is not an http(s) URL', () => {
    expect(normaliseApiUrl('http://localhost:3000/')).toBe('http://localhost:3000');
    expect(normaliseApiUrl('https://api.example.com/v1')).toBe('https://api.example.com');
    expect(normaliseApiUrl(' https://api.example.com/v1/ ')).toBe('https://api.example.com');
    expect(normaliseApiUrl('https://example.com/tiketi/v1')).toBe('https://example.com/tiketi');
    for (const bad of ['localhost:3000', 'ftp://x', 'not a url', 'https://user:pw@x', 'http://x/?a=1'])
      expect(() => normaliseApiUrl(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_API_URL' }));
    expect(sameOrigin('http://a:1', 'http://a:1/v1')).toBe(true);
    expect(sameOrigin('http://a:1', 'http://a:2')).toBe(false);
  });
});

describe('tables', () => {
  const headers = ['ID', 'Title'];
  const rows = [
    ['1', 'IU, live'],
    ['2', 'BTS "Yet"'],
  ];
  it('prints tab-separated when piped, CSV with quoting, and drops the header on request', () => {
    expect(renderTable(headers, rows, { mode: 'plain', header: true, width: 80, colour: false })).toBe(
      'ID\tTitle\n1\tIU, live\n2\tBTS "Yet"',
    );
    expect(renderTable(headers, rows, { mode: 'csv', header: true, width: 80, colour: false })).toBe(
      'ID,Title\n1,"IU, live"\n2,"BTS ""Yet"""',
    );
    expect(renderTable(headers, rows, { mode: 'plain', header: false, width: 80, colour: false })).toBe('1\tIU, live\n2\tBTS "Yet"');
  });
  it('fits a wide table into the terminal width', () => {
    const wide = [['a'.repeat(36), 'b'.repeat(120), 'short']];
    const drawn = renderTable(['ID', 'Description', 'S'], wide, { mode: 'box', header: true, width: 80, colour: false });
    for (const line of drawn.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    expect(drawn.replace(/[^b]/g, '')).toHaveLength(120); // wrapped, nothing lost
    expect(fitWidths([10, 10], 100)).toEqual([10, 10]);
  });
  it('picks --columns by header in any case, and names the choices for an unknown one', () => {
    const cols = [{ header: 'ID' }, { header: 'Last used' }];
    expect(pickColumns(cols, 'last-used,id').map((c) => c.header)).toEqual(['Last used', 'ID']);
    expect(() => pickColumns(cols, 'nope')).toThrow(/Unknown column "nope"/);
  });
});

describe('update bodies', () => {
  it('takes what get --json printed: unwraps the envelope and drops read-only fields', () => {
    const printed = { status: 'ok', result: { id: 'e1', title: 'New', status: 'on_sale', ticketTypes: [] }, warnings: [] };
    expect(updateBody(printed, ['title', 'status'])).toEqual({ body: { title: 'New', status: 'on_sale' }, ignored: ['id', 'ticketTypes'] });
    expect(updateBody({ id: 'e1', title: 'x' }, ['title'])).toEqual({ body: { title: 'x' }, ignored: ['id'] });
    // A hand-written body goes to the API as it is, so a typo gets its VALIDATION_FAILED.
    expect(updateBody({ titel: 'x' }, ['title'])).toEqual({ body: { titel: 'x' }, ignored: [] });
  });
});

describe('charts', () => {
  it('draws sparklines and bars to scale', () => {
    expect(sparkline([0, 7, 14])).toBe('▁▅█');
    expect(sparkline([3, 3])).toBe('██');
    expect(sparkline([0, 0])).toBe('▁▁');
    expect(bar(5, 10, 4)).toBe('██');
    expect(bar(0, 10)).toBe('');
  });
});

describe('waiting fetch', () => {
  const answer = (status: number, headers: Record<string, string> = {}) => new Response('{}', { status, headers });
  it('waits out a short Retry-After and says why', async () => {
    const answers = [answer(429, { 'retry-after': '0' }), answer(200)];
    const waits: Wait[] = [];
    const fetch = waitingFetch({ deadline: Date.now() + 5000, onWait: (w) => waits.push(w), fetch: async () => answers.shift()! });
    expect((await fetch(new Request('http://x/v1/events'))).status).toBe(200);
    expect(waits).toEqual([{ reason: 'rate limited by the API (Retry-After 0 s)', seconds: 0 }]);
  });
  it('gives the 429 back at once when Retry-After ends past the deadline', async () => {
    let calls = 0;
    const waits: Wait[] = [];
    const fetch = waitingFetch({
      deadline: Date.now() + 2000,
      onWait: (w) => waits.push(w),
      fetch: async () => {
        calls++;
        return answer(429, { 'retry-after': '30' });
      },
    });
    expect((await fetch(new Request('http://x/v1/events'))).status).toBe(429);
    expect([calls, waits]).toEqual([1, []]);
  });
  it('re-sends a POST with the same body and Idempotency-Key after a 503', async () => {
    const seen: { key: string | null; body: string }[] = [];
    const answers = [answer(503, { 'retry-after': '0' }), answer(201)];
    const fetch = waitingFetch({
      deadline: Date.now() + 5000,
      onWait: () => {},
      fetch: async (r) => {
        seen.push({ key: r.headers.get('idempotency-key'), body: await r.text() });
        return answers.shift()!;
      },
    });
    const request = new Request('http://x/v1/holds', { method: 'POST', headers: { 'idempotency-key': 'k1' }, body: '{"a":1}' });
    expect((await fetch(request)).status).toBe(201);
    expect(seen).toEqual([
      { key: 'k1', body: '{"a":1}' },
      { key: 'k1', body: '{"a":1}' },
    ]);
  });
});
