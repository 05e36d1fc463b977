// The seat map drawing, without a terminal: glyphs by status, rows in seat order, wrapping.
import { describe, expect, it } from 'vitest';
import type { MapSeat, SeatStatus } from '../src/api.js';
import { compareRows, countSeats, GLYPHS, renderSeatMap, summariseSections } from '../src/seat-map.js';

const seat = (section: string, row: string, number: number, status: SeatStatus): MapSeat => ({
  id: `${section}-${row}-${number}`,
  section,
  row,
  number,
  label: `${section}-${row}-${number}`,
  price: 1000,
  ticketTypeId: null,
  status,
});
const plain = { width: 80, glyphs: GLYPHS.ascii, paint: (_s: SeatStatus, text: string) => text };

describe('seat map rendering', () => {
  it('draws one glyph per seat in seat-number order, rows in label order, with a legend and counts', () => {
    const seats = [
      seat('VIP', 'B', 2, 'sold'),
      seat('VIP', 'B', 1, 'available'),
      seat('VIP', 'A', 3, 'held'),
      seat('VIP', 'A', 1, 'available'),
      seat('VIP', 'A', 2, 'sold'),
      seat('R', 'AA', 1, 'available'),
      seat('R', 'C', 1, 'held'),
    ];
    const lines = renderSeatMap({ version: 7, seats }, plain);
    expect(lines[0]).toBe('. available 3   h held 2   X sold 2   (7 seats, version 7)');
    expect(lines).toEqual([lines[0], '', 'VIP  2/5 available', '  A  .Xh', '  B  .X', '', 'R  1/2 available', '   C  h', '  AA  .']);
  });

  it('paints each seat by its status and puts a gap after every tenth seat', () => {
    const seats = Array.from({ length: 12 }, (_, i) => seat('S', 'A', i + 1, i < 10 ? 'available' : 'sold'));
    const lines = renderSeatMap({ version: 1, seats }, { ...plain, paint: (s, text) => `<${s[0]}>${text}` });
    expect(lines.at(-1)).toBe(`  A  ${'<a>.'.repeat(9)}<a>. <s>X<s>X`);
  });

  it('wraps a row longer than the terminal under its own label', () => {
    const seats = Array.from({ length: 45 }, (_, i) => seat('S', 'A', i + 1, 'available'));
    const lines = renderSeatMap({ version: 1, seats }, { ...plain, width: 30 });
    const rows = lines.slice(3);
    expect(rows).toEqual(['  A  .......... ..........', '     .......... ..........', '     .....']);
  });

  it('says so when an event has no numbered seats', () => {
    expect(renderSeatMap({ version: 0, seats: [] }, plain).at(-1)).toMatch(/general admission only/);
  });

  it('counts per section and orders row labels like a venue does', () => {
    const seats = [seat('A', '1', 1, 'held'), seat('A', '1', 2, 'sold'), seat('B', '1', 1, 'available')];
    expect(countSeats(seats)).toEqual({ available: 1, held: 1, sold: 1, total: 3 });
    expect(summariseSections(seats)).toEqual([
      { name: 'A', available: 0, held: 1, sold: 1, total: 2 },
      { name: 'B', available: 1, held: 0, sold: 0, total: 1 },
    ]);
    expect(['10', '9', '1'].sort(compareRows)).toEqual(['1', '9', '10']);
    expect(['AA', 'B', 'A', 'Z'].sort(compareRows)).toEqual(['A', 'B', 'Z', 'AA']);
  });
});
