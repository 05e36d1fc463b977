import { writeCommand } from '../../resource-commands.js';

export default writeCommand({
  summary: 'Create an event from a JSON or YAML file; with seatLayoutId its seats come from the layout.',
  description: `Fields: title, venue, eventDate (required); description, address, artistName, saleStartDate, saleEndDate,
posterImageUrl, status (upcoming | on_sale), seatLayoutId, currency (default KRW).`,
  examples: [
    '<%= config.bin %> <%= command.id %> --file event.yaml',
    `<%= config.bin %> <%= command.id %> --data '{"title":"IU Concert","venue":"Olympic Hall","eventDate":"2027-03-01T10:00:00Z"}'`,
  ],
  access: 'admin',
  send: (api, _params, body) => api.events.create(body),
  done: (e) => `Created event "${String(e.title)}" (${e.id}).`,
});
