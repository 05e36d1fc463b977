import { Flags } from '@oclif/core';
import type { Reservation } from '../../api.js';
import { listCommand } from '../../resource-commands.js';

export default listCommand<Reservation>({
  summary: 'List reservations (admin) with event and buyer, filtered by event, status, user or buyer email.',
  examples: [
    '<%= config.bin %> <%= command.id %> --event <eventId> --status pending',
    '<%= config.bin %> <%= command.id %> --email buyer@example.com --columns number,event,status',
  ],
  access: 'admin',
  paged: true,
  flags: {
    event: Flags.string({ description: 'Only this event (ID).' }),
    status: Flags.string({ description: 'Only this status.', options: ['pending', 'confirmed', 'cancelled', 'expired'] }),
    user: Flags.string({ description: 'Only this user (ID).' }),
    email: Flags.string({ char: 'e', description: 'Only buyers whose email contains this (any case).' }),
  },
  query: (o) => ({
    eventId: o.event as string | undefined,
    status: o.status as string | undefined,
    userId: o.user as string | undefined,
    email: o.email as string | undefined,
  }),
  fetch: (api, _params, query) => api.reservations.list(query),
  columns: [
    { header: 'ID', get: (r) => r.id },
    { header: 'Number', get: (r) => r.number },
    { header: 'Event', get: (r) => r.eventTitle },
    { header: 'Buyer', get: (r) => r.buyerEmail },
    { header: 'Status', get: (r) => (r.complimentary ? `${r.status} (comp)` : r.status) },
    { header: 'Total', get: (r) => `${r.totalAmount} ${r.currency}` },
    { header: 'Items', get: (r) => r.items.map((i) => i.label ?? `${i.quantity}×`).join(' ') },
    { header: 'Expires', get: (r) => r.expiresAt },
  ],
  empty: 'No reservations.',
});
