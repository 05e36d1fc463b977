import { Flags } from '@oclif/core';
import type { Reservation } from '../../api.js';
import { listCommand } from '../../resource-commands.js';

export default listCommand<Reservation>({
  summary: 'List reservations (admin), filtered by event, status or user.',
  examples: ['<%= config.bin %> <%= command.id %> --event <eventId> --status pending'],
  access: 'admin',
  paged: true,
  flags: {
    event: Flags.string({ description: 'Only this event (ID).' }),
    status: Flags.string({ description: 'Only this status.', options: ['pending', 'confirmed', 'cancelled', 'expired'] }),
    user: Flags.string({ description: 'Only this user (ID).' }),
  },
  query: (o) => ({ eventId: o.event as string | undefined, status: o.status as string | undefined, userId: o.user as string | undefined }),
  fetch: (api, _params, query) => api.reservations.list(query),
  columns: [
    { header: 'ID', get: (r) => r.id },
    { header: 'Number', get: (r) => r.number },
    { header: 'Status', get: (r) => r.status },
    { header: 'Total', get: (r) => `${r.totalAmount} ${r.currency}` },
    { header: 'Items', get: (r) => r.items.map((i) => i.label ?? `${i.quantity}×`).join(' ') },
    { header: 'Expires', get: (r) => r.expiresAt },
  ],
  empty: 'No reservations.',
});
