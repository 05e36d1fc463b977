import { Args } from '@oclif/core';
import { getCommand } from '../../resource-commands.js';

export default getCommand({
  summary: 'Show a hold with its seats or quantities, owner and expiry (admin).',
  examples: ['<%= config.bin %> <%= command.id %> <holdId>'],
  access: 'admin',
  args: { holdId: Args.string({ description: 'Hold ID.', required: true }) },
  fetch: (api, { holdId }) => api.holds.get(holdId!),
});
