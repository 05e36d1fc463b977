// Tables for humans and for pipes. cli-table3 draws the terminal table (small, no React/ink, unlike
// @oclif/table; it wraps cells to the widths we give it); csv-stringify writes --csv with correct
// quoting. Piped output is tab-separated without borders, so `cut -f` and `awk -F'\t'` read it.
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import { CliFailure, EXIT_CODES } from './failures.js';

export type TableMode = 'box' | 'plain' | 'csv';

export interface TableOptions {
  mode: TableMode;
  /** Terminal width for `box`; columns shrink (and wrap) to fit it. */
  width: number;
  header: boolean;
  colour: boolean;
}

/** Picks columns by header (any case, spaces or dashes alike), in the order asked. */
export function pickColumns<C extends { header: string }>(columns: C[], wanted: string | undefined): C[] {
  if (!wanted) return columns;
  const key = (s: string) => s.toLowerCase().replace(/[\s_-]+/g, '');
  const picked = wanted
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean)
    .map((w) => {
      const found = columns.find((c) => key(c.header) === key(w));
      if (!found) {
        throw new CliFailure(
          'INVALID_ARGUMENTS',
          `Unknown column "${w}"`,
          EXIT_CODES.validation,
          `Columns: ${columns.map((c) => c.header).join(', ')}.`,
        );
      }
      return found;
    });
  return picked;
}

/** Widths that fit `width`: the widest columns give up room first, none below 6 characters. */
export function fitWidths(natural: number[], width: number): number[] {
  // cli-table3 adds a border and one space of padding on each side: 3 characters per column, plus 1.
  const budget = width - (natural.length * 3 + 1);
  const widths = [...natural];
  let total = widths.reduce((a, b) => a + b, 0);
  while (total > budget) {
    const widest = Math.max(...widths);
    if (widest <= 6) break;
    const i = widths.indexOf(widest);
    widths[i] = widest - 1;
    total--;
  }
  return widths;
}

export function renderTable(headers: string[], rows: string[][], options: TableOptions): string {
  if (options.mode === 'csv') return stringify(options.header ? [headers, ...rows] : rows).trimEnd();
  if (options.mode === 'plain') {
    const clean = (s: string) => s.replace(/[\t\n]/g, ' ');
    return (options.header ? [headers, ...rows] : rows).map((r) => r.map(clean).join('\t')).join('\n');
  }
  const natural = headers.map((h, i) => Math.max(options.header ? h.length : 0, ...rows.map((r) => longestLine(r[i] ?? ''))));
  const widths = fitWidths(natural, options.width);
  const table = new Table({
    ...(options.header ? { head: headers } : {}),
    colWidths: widths.map((w) => w + 2),
    wordWrap: true,
    wrapOnWordBoundary: false,
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: options.colour ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] },
  });
  for (const row of rows) table.push(row);
  return table.toString();
}

function longestLine(text: string): number {
  return Math.max(0, ...text.split('\n').map((l) => [...l].length));
}
