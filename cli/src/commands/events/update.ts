import { Args } from '@oclif/core';
import type { UpdateEventBody } from '@tiketi/sdk';
import { keysOf } from '../../input.js';
import { writeCommand } from '../../resource-commands.js';

export default writeCommand({
  summary: "Change an event's fields or move its status (upcoming → on_sale → sold_out | ended | cancelled).",
  description:
    'Takes what `events get --json` printed too: fields that cannot be changed (id, ticketTypes, counts ...) are ignored with a warning.',
  examples: [
    '<%= config.bin %> <%= command.id %> <eventId> --file changes.yaml',
    '<%= config.bin %> <%= command.id %> <eventId> --json > event.json; $EDITOR event.json; <%= config.bin %> <%= command.id %> <eventId> --file event.json',
    `<%= config.bin %> <%= command.id %> <eventId> --data 'status: on_sale'`,
  ],
  access: 'admin',
  args: { eventId: Args.string({ description: 'Event ID.', required: true }) },
  writable: keysOf<UpdateEventBody>()([
    'title',
    'description',
    'venue',
    'address',
    'artistName',
    'eventDate',
    'saleStartDate',
    'saleEndDate',
    'posterImageUrl',
    'status',
  ]),
  send: (api, { eventId }, body) => api.events.update(eventId!, body),
  done: (e) => `Updated event "${String(e.title)}" (${e.id}).`,
});
