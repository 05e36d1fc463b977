import { Args } from '@oclif/core';
import { deleteCommand } from '../../resource-commands.js';

export default deleteCommand({
  summary: 'Delete an event with its seats and ticket types (refused once anything is sold).',
  examples: ['<%= config.bin %> <%= command.id %> <eventId>'],
  access: 'admin',
  args: { eventId: Args.string({ description: 'Event ID.', required: true }) },
  idArg: 'eventId',
  noun: 'event',
  send: (api, id) => api.events.delete(id),
});
