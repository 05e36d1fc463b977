// The `stats` commands: one factory, because every view is "read one admin statistics route, then
// show it". Humans get tables with bars (a share or a size per row) and sparklines (a trend over
// days or hours); --json gives the API's answer as it is. Each view says how fresh it is (live, or
// from the cache and when) on stderr, so stdout stays data.
import { Flags, type Interfaces } from '@oclif/core';
import type { Tiketi } from '@tiketi/sdk';
import { TiketiCommand, tableFlags, type Column } from './base-command.js';
import { bar, sparkline } from './charts.js';

type Options = Record<string, unknown>;

/** The days a view covers (`from`, `to`, in `timeZone`) and the currency it counts in. */
export const rangeFlags = {
  from: Flags.string({ description: 'First day, inclusive (YYYY-MM-DD, in --time-zone); default: 29 days before --to.' }),
  to: Flags.string({ description: 'Last day, inclusive (YYYY-MM-DD); default: today.' }),
  'time-zone': Flags.string({ description: "IANA time zone the days are cut in; default: the API's (Asia/Seoul)." }),
};
export const currencyFlag = {
  currency: Flags.string({ description: 'Only sales in this currency (money is never summed across currencies); default KRW.' }),
};

/** The query of a ranged view from its flags (only what was given). */
export function rangeQuery(o: Options): { from?: string; to?: string; timeZone?: string; currency?: string } {
  const q: { from?: string; to?: string; timeZone?: string; currency?: string } = {};
  if (typeof o.from === 'string') q.from = o.from;
  if (typeof o.to === 'string') q.to = o.to;
  if (typeof o['time-zone'] === 'string') q.timeZone = o['time-zone'];
  if (typeof o.currency === 'string') q.currency = o.currency;
  return q;
}

/** What a view's renderer can print with. */
export interface StatsOutput {
  table<R>(title: string | undefined, rows: readonly R[], columns: Column<R>[]): void;
  record(fields: Record<string, unknown>): void;
  line(text: string): void;
}

interface Freshness {
  source: 'live' | 'cache' | 'mixed';
  generatedAt: string;
  cachedAt: string | null;
  timeZone?: string;
  from?: string | null;
  to?: string | null;
}

export function statsCommand<R extends Freshness>(spec: {
  summary: string;
  description?: string;
  examples?: string[];
  args?: Interfaces.ArgInput;
  flags?: Interfaces.FlagInput;
  fetch: (client: Tiketi, options: Options, args: Record<string, string>) => Promise<R>;
  render: (out: StatsOutput, view: R) => void;
}) {
  return class extends TiketiCommand<typeof TiketiCommand> {
    static override summary = spec.summary;
    static override description = spec.description;
    static override examples = spec.examples ?? [];
    static override args = spec.args ?? {};
    static override flags = { ...tableFlags, ...spec.flags };

    public async run(): Promise<R> {
      const { client } = await this.signedInClient();
      const view = await this.spin('Counting', () => spec.fetch(client, this.flags as Options, this.args as Record<string, string>));
      if (this.jsonEnabled()) return view;
      // Titles, totals and sparklines are for the terminal; piped or --csv, stdout keeps only rows.
      const drawn = Boolean(process.stdout.isTTY) && !(this.flags as { csv?: boolean }).csv;
      const say = (text: string) => (drawn ? this.log(text) : this.hint(text));
      const out: StatsOutput = {
        table: (title, rows, columns) => {
          if (title) say(`\n${title}`);
          this.table(rows, columns, `No ${title?.toLowerCase() ?? 'rows'}.`);
        },
        record: (fields) => this.record(fields),
        line: say,
      };
      spec.render(out, view);
      this.hint(freshness(view));
      return view;
    }
  };
}

/** "live at 10:02:11Z · Asia/Seoul 2026-11-01 … 2026-11-29", or when the cache was filled. */
export function freshness(view: Freshness): string {
  const when = view.source === 'live' ? `live at ${view.generatedAt}` : `${view.source}, cached at ${view.cachedAt ?? '?'}`;
  const range =
    view.from || view.to ? ` · ${view.timeZone ?? ''} ${view.from ?? '…'} … ${view.to ?? '…'}` : view.timeZone ? ` · ${view.timeZone}` : '';
  return `(${when}${range})`;
}

/** 12,345 KRW */
export const money = (amount: number | null | undefined, currency: string) =>
  amount === null || amount === undefined ? '' : `${amount.toLocaleString('en-US')} ${currency}`;
/** 0.4567 → 45.7% */
export const percent = (ratio: number | null | undefined) => (ratio === null || ratio === undefined ? '' : `${(ratio * 100).toFixed(1)}%`);
/** A bar column sized against the largest value of the column. */
export function barColumn<R>(header: string, value: (row: R) => number, rows: readonly R[], width = 20): Column<R> {
  const max = Math.max(0, ...rows.map(value));
  return { header, get: (row) => bar(value(row), max, width) };
}
export { sparkline };
