import { Args } from '@oclif/core';
import type { TicketType } from '../../api.js';
import { listCommand } from '../../resource-commands.js';

export default listCommand<TicketType>({
  summary: "List an event's price categories with quantities and availability.",
  examples: ['<%= config.bin %> <%= command.id %> <eventId>'],
  access: 'public',
  paged: false,
  args: { eventId: Args.string({ description: 'Event ID.', required: true }) },
  fetch: (api, { eventId }) => api.ticketTypes.list(eventId!),
  columns: [
    { header: 'ID', get: (t) => t.id },
    { header: 'Name', get: (t) => t.name },
    { header: 'Kind', get: (t) => t.kind },
    { header: 'Price', get: (t) => `${t.price} ${t.currency}` },
    { header: 'Available', get: (t) => `${t.availableQuantity} / ${t.totalQuantity}` },
  ],
  empty: 'No ticket types.',
});
