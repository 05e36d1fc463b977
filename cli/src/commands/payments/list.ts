import { Flags } from '@oclif/core';
import type { Payment } from '../../api.js';
import { listCommand } from '../../resource-commands.js';

export default listCommand<Payment>({
  summary: 'List payments (admin), filtered by event, status, method or creation time.',
  examples: [
    '<%= config.bin %> <%= command.id %> --event <eventId> --status confirmed',
    '<%= config.bin %> <%= command.id %> --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z --all --json',
  ],
  access: 'admin',
  paged: true,
  flags: {
    event: Flags.string({ description: 'Only this event (ID).' }),
    status: Flags.string({
      description: 'Only this status.',
      options: ['pending', 'in_progress', 'confirmed', 'failed', 'cancelled', 'partially_refunded', 'refunded'],
    }),
    method: Flags.string({ description: 'Only this method, as the provider names it (e.g. 카드).' }),
    from: Flags.string({ description: 'Created at or after (ISO 8601).' }),
    to: Flags.string({ description: 'Created before (ISO 8601).' }),
  },
  query: (o) => ({
    eventId: o.event as string | undefined,
    status: o.status as string | undefined,
    method: o.method as string | undefined,
    from: o.from as string | undefined,
    to: o.to as string | undefined,
  }),
  fetch: (api, _params, query) => api.payments.list(query),
  columns: [
    { header: 'Order', get: (p) => p.orderId },
    { header: 'Status', get: (p) => p.status },
    { header: 'Amount', get: (p) => `${p.amount} ${p.currency}` },
    { header: 'Refunded', get: (p) => String(p.refundedAmount) },
    { header: 'Method', get: (p) => p.method ?? '' },
    { header: 'Refund failure', get: (p) => p.refundFailure?.code ?? '' },
    { header: 'Created', get: (p) => p.createdAt },
  ],
  empty: 'No payments.',
});
