import { Args } from '@oclif/core';
import { deleteCommand } from '../../resource-commands.js';

export default deleteCommand({
  summary: 'Remove a keyword mapping.',
  examples: ['<%= config.bin %> <%= command.id %> <mappingId>'],
  access: 'admin',
  args: { mappingId: Args.string({ description: 'Keyword mapping ID.', required: true }) },
  idArg: 'mappingId',
  noun: 'keyword mapping',
  send: (api, id) => api.keywordMappings.delete(id),
});
