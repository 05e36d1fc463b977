import { Args, Flags, ux } from '@oclif/core';
import { catalogApi, type MapSeat, type SeatStatus } from '../../api.js';
import { TiketiCommand } from '../../base-command.js';
import type { SeatMapResult } from '../../results.js';
import { countSeats, GLYPHS, renderSeatMap, summariseSections } from '../../seat-map.js';

const COLOURS: Record<SeatStatus, string> = { available: 'green', held: 'yellow', sold: 'red' };

export default class SeatsMap extends TiketiCommand<typeof SeatsMap> {
  static override summary = "Draw an event's seat map, coloured by status (available, held, sold).";
  static override description =
    'One line per row and one glyph per seat, grouped by section, with a legend and counts. --json gives the seats and the counts.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> <eventId>',
    '<%= config.bin %> <%= command.id %> <eventId> --section VIP --ascii',
  ];
  static override args = { eventId: Args.string({ description: 'Event ID.', required: true }) };
  static override flags = {
    section: Flags.string({ description: 'Only these sections (repeatable).', multiple: true }),
    ascii: Flags.boolean({ description: 'Plain ASCII glyphs (. available, h held, X sold).', default: false }),
  };

  public async run(): Promise<SeatMapResult> {
    const client = await this.anyClient();
    const map = await this.spin('Fetching the seat map', () => catalogApi(client).seats.map(this.args.eventId));
    const wanted = this.flags.section;
    const seats: MapSeat[] = wanted ? map.seats.filter((s) => wanted.includes(s.section)) : map.seats;
    const lines = renderSeatMap(
      { ...map, seats },
      {
        width: process.stdout.columns ?? 100,
        glyphs: this.flags.ascii ? GLYPHS.ascii : GLYPHS.unicode,
        paint: (status, text) => ux.colorize(COLOURS[status], text),
      },
    );
    for (const line of lines) this.log(line);
    return { eventId: this.args.eventId, version: map.version, counts: countSeats(seats), sections: summariseSections(seats), seats };
  }
}
