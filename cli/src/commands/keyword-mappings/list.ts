import type { KeywordMapping } from '../../api.js';
import { listCommand } from '../../resource-commands.js';

export default listCommand<KeywordMapping>({
  summary: 'List Korean ↔ English search terms, newest first.',
  examples: ['<%= config.bin %> <%= command.id %> --all --json'],
  access: 'admin',
  paged: true,
  fetch: (api, _params, query) => api.keywordMappings.list(query),
  columns: [
    { header: 'ID', get: (m) => m.id },
    { header: 'Korean', get: (m) => m.korean },
    { header: 'English', get: (m) => m.english },
    { header: 'Type', get: (m) => m.entityType },
    { header: 'Created', get: (m) => m.createdAt },
  ],
  empty: 'No keyword mappings.',
});
