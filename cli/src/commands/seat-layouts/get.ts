import { Args } from '@oclif/core';
import { getCommand } from '../../resource-commands.js';

export default getCommand({
  summary: 'Show a seat layout with its sections and seat counts.',
  examples: ['<%= config.bin %> <%= command.id %> <layoutId>'],
  access: 'public',
  args: { layoutId: Args.string({ description: 'Seat layout ID.', required: true }) },
  fetch: (api, { layoutId }) => api.seatLayouts.get(layoutId!),
});
