import { Args } from '@oclif/core';
import { deleteCommand } from '../../resource-commands.js';

export default deleteCommand({
  summary: 'Delete a seat layout (refused once an event uses it).',
  examples: ['<%= config.bin %> <%= command.id %> <layoutId> --yes'],
  access: 'admin',
  args: { layoutId: Args.string({ description: 'Seat layout ID.', required: true }) },
  idArg: 'layoutId',
  noun: 'seat layout',
  send: (api, id) => api.seatLayouts.delete(id),
});
