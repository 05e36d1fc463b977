import { Args } from '@oclif/core';
import { writeCommand } from '../../resource-commands.js';

export default writeCommand({
  summary: 'Add a seated price category or a general-admission quantity to an event.',
  description: 'Fields: name, kind (seated | general), price; totalQuantity (required for general); description, sortOrder.',
  examples: [
    `<%= config.bin %> <%= command.id %> <eventId> --data '{"name":"Standing","kind":"general","price":99000,"totalQuantity":500}'`,
  ],
  access: 'admin',
  args: { eventId: Args.string({ description: 'Event ID.', required: true }) },
  send: (api, { eventId }, body) => api.ticketTypes.create(eventId!, body),
  done: (t) => `Created ticket type "${String(t.name)}" (${t.id}).`,
});
