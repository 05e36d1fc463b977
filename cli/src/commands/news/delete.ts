import { Args } from '@oclif/core';
import { deleteCommand } from '../../resource-commands.js';

export default deleteCommand({
  summary: 'Delete a news item.',
  examples: ['<%= config.bin %> <%= command.id %> <newsId>'],
  access: 'admin',
  args: { newsId: Args.string({ description: 'News ID.', required: true }) },
  idArg: 'newsId',
  noun: 'news item',
  send: (api, id) => api.news.delete(id),
});
