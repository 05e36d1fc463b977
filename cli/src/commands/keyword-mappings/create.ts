import { writeCommand } from '../../resource-commands.js';

export default writeCommand({
  summary: 'Map a Korean search term to an English one, so search finds either way.',
  description: 'Fields: korean, english (required); entityType (artist | venue | event | other, default artist).',
  examples: [
    `<%= config.bin %> <%= command.id %> --data '{"korean":"아이유","english":"IU"}'`,
    '<%= config.bin %> <%= command.id %> --file mapping.yaml',
  ],
  access: 'admin',
  send: (api, _params, body) => api.keywordMappings.create(body),
  done: (m) => `Mapped ${String(m.korean)} ↔ ${String(m.english)} (${m.id}).`,
});
