import { Flags } from '@oclif/core';
import type { Hold } from '@tiketi/sdk';
import { listCommand } from '../../resource-commands.js';

export default listCommand<Hold>({
  summary: 'List holds (admin), newest first, by event, user or status: find the stuck ones.',
  examples: [
    '<%= config.bin %> <%= command.id %> --event <eventId> --status active',
    '<%= config.bin %> <%= command.id %> --user <userId> --json',
  ],
  access: 'admin',
  paged: true,
  flags: {
    event: Flags.string({ description: 'Only this event (ID).' }),
    user: Flags.string({ description: 'Only this user (ID).' }),
    status: Flags.string({ description: 'Only this status.', options: ['active', 'converted', 'released', 'expired'] }),
  },
  query: (o) => ({ eventId: o.event as string | undefined, userId: o.user as string | undefined, status: o.status as string | undefined }),
  fetch: (api, _params, query) => api.holds.list(query),
  columns: [
    { header: 'ID', get: (h) => h.id },
    { header: 'Event', get: (h) => h.eventId },
    { header: 'User', get: (h) => h.userId },
    { header: 'Status', get: (h) => h.status },
    { header: 'Seats', get: (h) => h.seats.map((s) => s.label).join(' ') || h.items.map((i) => `${i.quantity}× ${i.name}`).join(', ') },
    { header: 'Total', get: (h) => `${h.totalAmount} ${h.currency}` },
    { header: 'Expires', get: (h) => h.expiresAt },
  ],
  empty: 'No holds.',
});
