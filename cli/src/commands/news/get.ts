import { Args } from '@oclif/core';
import { getCommand } from '../../resource-commands.js';

export default getCommand({
  summary: 'Show a news item (counts a view).',
  examples: ['<%= config.bin %> <%= command.id %> <newsId>'],
  access: 'public',
  args: { newsId: Args.string({ description: 'News ID.', required: true }) },
  fetch: (api, { newsId }) => api.news.get(newsId!),
});
