import { Args } from '@oclif/core';
import { getCommand } from '../../resource-commands.js';

export default getCommand({
  summary: 'Show an event with its ticket types, availability and price range.',
  examples: ['<%= config.bin %> <%= command.id %> 6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f'],
  access: 'public',
  args: { eventId: Args.string({ description: 'Event ID.', required: true }) },
  fetch: (api, { eventId }) => api.events.get(eventId!),
});
