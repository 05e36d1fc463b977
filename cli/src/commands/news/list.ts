import type { News } from '../../api.js';
import { listCommand } from '../../resource-commands.js';

export default listCommand<News>({
  summary: 'List news, pinned first, then newest.',
  examples: ['<%= config.bin %> <%= command.id %>'],
  access: 'public',
  paged: true,
  fetch: (api, _params, query) => api.news.list(query),
  columns: [
    { header: 'ID', get: (n) => n.id },
    { header: 'Title', get: (n) => (n.isPinned ? `📌 ${n.title}` : n.title) },
    { header: 'Author', get: (n) => n.author },
    { header: 'Views', get: (n) => n.views },
    { header: 'Created', get: (n) => n.createdAt },
  ],
  empty: 'No news.',
});
