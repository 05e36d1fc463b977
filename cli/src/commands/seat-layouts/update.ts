import { Args } from '@oclif/core';
import type { components } from '@tiketi/sdk';
import type { UpdateSeatLayoutBody } from '../../api.js';
import { keysOf } from '../../input.js';
import { writeCommand } from '../../resource-commands.js';

export default writeCommand<components['schemas']['SeatLayout']>({
  summary: 'Rename a seat layout or replace its sections (refused once an event uses it).',
  description:
    'Takes what `seat-layouts get --json` printed too: fields that cannot be changed (id, totalSeats, seatCount ...) are ignored.',
  examples: [
    `<%= config.bin %> <%= command.id %> <layoutId> --data 'name: Olympic Hall (2027)'`,
    '<%= config.bin %> <%= command.id %> <layoutId> --file layout.yaml',
  ],
  access: 'admin',
  args: { layoutId: Args.string({ description: 'Seat layout ID.', required: true }) },
  writable: keysOf<UpdateSeatLayoutBody>()(['name', 'description', 'sections']),
  // A section as `get` shows it carries its computed seatCount, which the API does not take back.
  send: (api, { layoutId }, body) =>
    api.seatLayouts.update(layoutId!, {
      ...body,
      ...(Array.isArray(body.sections)
        ? { sections: body.sections.map((s) => (typeof s === 'object' && s !== null ? withoutSeatCount(s as Record<string, unknown>) : s)) }
        : {}),
    }),
  done: (l) => `Updated seat layout "${l.name}" (${l.id}), ${l.totalSeats} seats.`,
});

function withoutSeatCount({ seatCount: _seatCount, ...section }: Record<string, unknown>): Record<string, unknown> {
  return section;
}
