import { Args, Flags, ux } from '@oclif/core';
import { Tiketi, type SeatChange } from '@tiketi/sdk';
import WebSocket from 'ws';
import { catalogApi, type MapSeat, type SeatMap, type SeatStatus } from '../../api.js';
import { TiketiCommand } from '../../base-command.js';
import type { SeatMapResult } from '../../results.js';
import { countSeats, GLYPHS, renderSeatMap, summariseSections } from '../../seat-map.js';

const COLOURS: Record<SeatStatus, string> = { available: 'green', held: 'yellow', sold: 'red' };
const STATUS_AFTER: Record<SeatChange['type'], SeatStatus> = { 'seat.held': 'held', 'seat.released': 'available', 'seat.sold': 'sold' };

export default class SeatsMap extends TiketiCommand<typeof SeatsMap> {
  static override summary = "Draw an event's seat map, coloured by status (available, held, sold).";
  static override description = `One line per row and one glyph per seat, grouped by section, with a legend and counts. --json gives the seats and the counts.
--watch keeps the map on screen and redraws it on every seat change from the realtime channel (TIKETI_REALTIME_URL or --realtime-url, e.g. ws://localhost:3001); while that connection is down it says so on stderr and reads the map every --poll-interval seconds instead. Ctrl-C stops.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> <eventId>',
    '<%= config.bin %> <%= command.id %> <eventId> --section VIP --ascii',
    '<%= config.bin %> <%= command.id %> <eventId> --watch --realtime-url ws://localhost:3001',
  ];
  static override args = { eventId: Args.string({ description: 'Event ID.', required: true }) };
  static override flags = {
    section: Flags.string({ description: 'Only these sections (repeatable).', multiple: true }),
    ascii: Flags.boolean({ description: 'Plain ASCII glyphs (. available, h held, X sold).', default: false }),
    watch: Flags.boolean({ description: 'Redraw on every seat change until Ctrl-C.', default: false, exclusive: ['json'] }),
    'realtime-url': Flags.string({ description: 'Realtime origin for --watch; default: the API URL.', env: 'TIKETI_REALTIME_URL' }),
    'poll-interval': Flags.integer({
      description: 'With --watch, seconds between reads while the live connection is down.',
      default: 5,
      min: 1,
    }),
  };

  private map!: SeatMap;

  public async run(): Promise<SeatMapResult> {
    const client = await this.anyClient();
    this.map = await this.spin('Fetching the seat map', () => catalogApi(client).seats.map(this.args.eventId));
    this.draw();
    if (this.flags.watch) await this.watch(client);
    return this.result();
  }

  private visibleSeats(): MapSeat[] {
    const wanted = this.flags.section;
    return wanted ? this.map.seats.filter((s) => wanted.includes(s.section)) : this.map.seats;
  }

  private result(): SeatMapResult {
    const seats = this.visibleSeats();
    return { eventId: this.args.eventId, version: this.map.version, counts: countSeats(seats), sections: summariseSections(seats), seats };
  }

  private draw(): void {
    const lines = renderSeatMap(
      { version: this.map.version, seats: this.visibleSeats() },
      {
        width: process.stdout.columns ?? 100,
        glyphs: this.flags.ascii ? GLYPHS.ascii : GLYPHS.unicode,
        paint: (status, text) => ux.colorize(COLOURS[status], text),
      },
    );
    for (const line of lines) this.log(line);
  }

  /**
   * The SDK keeps the map current (snapshot, then changes in version order); each update redraws.
   * While the live connection is down the status line says so and the map is polled every
   * --poll-interval seconds instead, so it never goes stale; live updates take over again when the
   * connection comes back.
   */
  private async watch(client: Tiketi): Promise<void> {
    const live = new Tiketi({ ...client.config, realtimeUrl: this.flags['realtime-url'] ?? client.config.baseUrl, WebSocket });
    const redraw = () => {
      if (process.stdout.isTTY)
        process.stdout.write('\x1b[2J\x1b[H'); // clear the screen, cursor home
      else this.log(`--- version ${this.map.version}`);
      this.draw();
    };
    let byId = new Map<string, MapSeat>(this.map.seats.map((seat) => [seat.id, seat]));
    let polling: ReturnType<typeof setInterval> | undefined;
    const poll = async () => {
      try {
        const map = await client.seats.map(this.args.eventId, { timeoutMs: 10_000 });
        if (map.version === this.map.version) return;
        this.map = map;
        byId = new Map(map.seats.map((seat) => [seat.id, seat]));
        redraw();
      } catch (err) {
        this.logToStderr(`Seat map poll failed: ${describeError(err)}; trying again in ${this.flags['poll-interval']} s.`);
      }
    };
    const liveDown = (err: unknown) => {
      if (polling) return;
      this.logToStderr(
        `Live updates unavailable (${describeError(err)}); polling every ${this.flags['poll-interval']} s until they are back.`,
      );
      polling = setInterval(() => void poll(), this.flags['poll-interval'] * 1000);
    };
    const liveBack = () => {
      if (!polling) return;
      clearInterval(polling);
      polling = undefined;
      this.logToStderr('Live updates are back.');
    };
    const subscription = live.seats.watch(this.args.eventId, {
      onSnapshot: (map) => {
        liveBack();
        this.map = map;
        byId = new Map(map.seats.map((seat) => [seat.id, seat]));
        redraw();
      },
      onChange: (change) => {
        for (const id of change.seatIds) {
          const seat = byId.get(id);
          if (seat) seat.status = STATUS_AFTER[change.type];
        }
        this.map.version = change.version;
        redraw();
      },
      onError: liveDown,
    });
    subscription.ready.then(
      () => this.logToStderr('Watching for seat changes (live); Ctrl-C to stop.'),
      (err: unknown) => liveDown(err),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    if (polling) clearInterval(polling);
    subscription.unsubscribe();
    live.realtime.close();
  }
}

/** A readable reason for anything the realtime client reports (errors, socket events, strings). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object') {
    const o = err as { message?: unknown; type?: unknown; code?: unknown };
    if (typeof o.message === 'string' && o.message) return o.message;
    if (typeof o.code === 'string' || typeof o.code === 'number') return `code ${String(o.code)}`;
    if (typeof o.type === 'string') return `WebSocket ${o.type}`;
  }
  return 'unknown error';
}
