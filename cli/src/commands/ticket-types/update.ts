import { Args } from '@oclif/core';
import type { UpdateTicketTypeBody } from '@tiketi/sdk';
import { keysOf } from '../../input.js';
import { writeCommand } from '../../resource-commands.js';

export default writeCommand({
  summary: 'Rename, reprice or resize a ticket type.',
  examples: [`<%= config.bin %> <%= command.id %> <ticketTypeId> --data 'price: 110000'`],
  access: 'admin',
  args: { ticketTypeId: Args.string({ description: 'Ticket type ID.', required: true }) },
  writable: keysOf<UpdateTicketTypeBody>()(['name', 'price', 'totalQuantity', 'description', 'sortOrder']),
  send: (api, { ticketTypeId }, body) => api.ticketTypes.update(ticketTypeId!, body),
  done: (t) => `Updated ticket type "${String(t.name)}" (${t.id}).`,
});
