// Draws an event's seat map in the terminal: one line per row, one glyph per seat, grouped by
// section, coloured by status. Pure (colours are passed in), so it is tested without a terminal.
import type { MapSeat, SeatMap, SeatStatus } from './api.js';

export const STATUSES: readonly SeatStatus[] = ['available', 'held', 'sold'];
export const GLYPHS = {
  unicode: { available: '○', held: '◐', sold: '●' },
  ascii: { available: '.', held: 'h', sold: 'X' },
} as const satisfies Record<string, Record<SeatStatus, string>>;

export type Counts = Record<SeatStatus, number> & { total: number };

export interface SectionSummary extends Counts {
  name: string;
}

export interface RenderOptions {
  /** Terminal width; long rows wrap under themselves. */
  width: number;
  glyphs: Record<SeatStatus, string>;
  paint: (status: SeatStatus, text: string) => string;
}

export function countSeats(seats: readonly MapSeat[]): Counts {
  const counts: Counts = { available: 0, held: 0, sold: 0, total: seats.length };
  for (const seat of seats) counts[seat.status]++;
  return counts;
}

/** Sections in the order the API lists their seats, each with its counts. */
export function summariseSections(seats: readonly MapSeat[]): SectionSummary[] {
  const bySection = groupBy(seats, (s) => s.section);
  return [...bySection].map(([name, list]) => ({ name, ...countSeats(list) }));
}

/** Row labels in seat-map order: numbers numerically, letters A … Z, AA … (shorter first). */
export function compareRows(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isInteger(na) && Number.isInteger(nb)) return na - nb;
  return a.length - b.length || a.localeCompare(b);
}

export function renderSeatMap(map: Pick<SeatMap, 'version' | 'seats'>, options: RenderOptions): string[] {
  const { glyphs, paint } = options;
  const counts = countSeats(map.seats);
  const lines: string[] = [];
  lines.push(
    STATUSES.map((s) => `${paint(s, glyphs[s])} ${s} ${counts[s]}`).join('   ') + `   (${counts.total} seats, version ${map.version})`,
  );
  const sections = groupBy(map.seats, (s) => s.section);
  for (const [section, seats] of sections) {
    const c = countSeats(seats);
    lines.push('', `${section}  ${c.available}/${c.total} available`);
    const rows = [...groupBy(seats, (s) => s.row)].sort(([a], [b]) => compareRows(a, b));
    const labelWidth = Math.max(...rows.map(([row]) => row.length));
    const room = Math.max(10, options.width - labelWidth - 4);
    for (const [row, rowSeats] of rows) {
      const ordered = [...rowSeats].sort((a, b) => a.number - b.number);
      // A space after every 10th seat makes seat numbers countable by eye.
      const cells = ordered.map(
        (seat, i) => paint(seat.status, glyphs[seat.status]) + ((i + 1) % 10 === 0 && i + 1 < ordered.length ? ' ' : ''),
      );
      const perLine = Math.max(10, Math.floor(room / 11) * 10); // 10 seats take 11 columns
      for (let start = 0; start < cells.length; start += perLine) {
        const label = start === 0 ? row.padStart(labelWidth) : ' '.repeat(labelWidth);
        lines.push(
          `  ${label}  ${cells
            .slice(start, start + perLine)
            .join('')
            .trimEnd()}`,
        );
      }
    }
  }
  if (map.seats.length === 0) lines.push('', 'This event has no numbered seats (general admission only).');
  return lines;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
