import { Args } from '@oclif/core';
import { writeCommand } from '../../resource-commands.js';

export default writeCommand({
  summary: "Change an event's fields or move its status (upcoming → on_sale → sold_out | ended | cancelled).",
  examples: [
    '<%= config.bin %> <%= command.id %> <eventId> --file changes.yaml',
    `<%= config.bin %> <%= command.id %> <eventId> --data 'status: on_sale'`,
  ],
  access: 'admin',
  args: { eventId: Args.string({ description: 'Event ID.', required: true }) },
  send: (api, { eventId }, body) => api.events.update(eventId!, body),
  done: (e) => `Updated event "${String(e.title)}" (${e.id}).`,
});
