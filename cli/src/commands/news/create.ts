import { writeCommand } from '../../resource-commands.js';

export default writeCommand({
  summary: 'Publish a news item from a JSON or YAML file.',
  description: "Fields: title, content (required); author (default: the admin's name), isPinned.",
  examples: [
    '<%= config.bin %> <%= command.id %> --file notice.yaml',
    `<%= config.bin %> <%= command.id %> --data '{"title":"Opening","content":"Doors at 6","isPinned":true}'`,
  ],
  access: 'admin',
  send: (api, _params, body) => api.news.create(body),
  done: (n) => `Published "${String(n.title)}" (${n.id}).`,
});
