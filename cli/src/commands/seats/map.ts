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
--watch keeps the map on screen and redraws it on every seat change from the realtime channel (TIKETI_REALTIME_URL or --realtime-url, e.g. ws://localhost:3001); Ctrl-C stops.`;
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

  /** The SDK keeps the map current (snapshot, then changes in version order); each update redraws. */
  private async watch(client: Tiketi): Promise<void> {
    const live = new Tiketi({ ...client.config, realtimeUrl: this.flags['realtime-url'] ?? client.config.baseUrl, WebSocket });
    const redraw = () => {
      if (process.stdout.isTTY)
        process.stdout.write('\x1b[2J\x1b[H'); // clear the screen, cursor home
      else this.log(`--- version ${this.map.version}`);
      this.draw();
    };
    let byId = new Map<string, MapSeat>();
    const subscription = live.seats.watch(this.args.eventId, {
      onSnapshot: (map) => {
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
      onError: (err) => this.logToStderr(`Seat map refresh failed: ${err instanceof Error ? err.message : String(err)}`),
    });
    await subscription.ready;
    this.logToStderr('Watching for seat changes; Ctrl-C to stop.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    subscription.unsubscribe();
    live.realtime.close();
  }
}
