import { Flags } from '@oclif/core';
import type { Event } from '../../api.js';
import { listCommand } from '../../resource-commands.js';

export default listCommand<Event>({
  summary: 'List events by date, or search them (Korean or English, typos forgiven).',
  examples: ['<%= config.bin %> <%= command.id %> --status on_sale', '<%= config.bin %> <%= command.id %> --q 아이유 --json'],
  access: 'public',
  paged: true,
  flags: {
    status: Flags.string({
      description: 'Only events in this status.',
      options: ['upcoming', 'on_sale', 'sold_out', 'ended', 'cancelled'],
    }),
    q: Flags.string({ description: 'Search title, artist and venue; best matches first.' }),
    from: Flags.string({ description: 'Events on or after this time (ISO 8601).' }),
    to: Flags.string({ description: 'Events before this time (ISO 8601).' }),
  },
  query: (o) => ({
    status: o.status as string | undefined,
    q: o.q as string | undefined,
    from: o.from as string | undefined,
    to: o.to as string | undefined,
  }),
  fetch: (api, _params, query) => api.events.list(query),
  columns: [
    { header: 'ID', get: (e) => e.id },
    { header: 'Title', get: (e) => e.title },
    { header: 'Artist', get: (e) => e.artistName },
    { header: 'Venue', get: (e) => e.venue },
    { header: 'Date', get: (e) => e.eventDate },
    { header: 'Status', get: (e) => e.status },
    { header: 'Price', get: (e) => (e.minPrice === null ? '' : `${e.minPrice}–${e.maxPrice} ${e.currency}`) },
  ],
  empty: 'No events.',
});
