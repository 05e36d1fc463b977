import { Args } from '@oclif/core';
import { deleteCommand } from '../../resource-commands.js';

export default deleteCommand({
  summary: 'Delete a ticket type (refused once any of it is held or sold).',
  examples: ['<%= config.bin %> <%= command.id %> <ticketTypeId> --yes'],
  access: 'admin',
  args: { ticketTypeId: Args.string({ description: 'Ticket type ID.', required: true }) },
  idArg: 'ticketTypeId',
  noun: 'ticket type',
  send: (api, id) => api.ticketTypes.delete(id),
});
