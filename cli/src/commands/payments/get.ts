import { Args } from '@oclif/core';
import { getCommand } from '../../resource-commands.js';

export default getCommand({
  summary: 'Show a payment by its order id: status, amounts, provider status, and the last refund failure if any.',
  examples: ['<%= config.bin %> <%= command.id %> <orderId>'],
  access: 'admin',
  args: { orderId: Args.string({ description: 'Order ID (e.g. TK-20261124-7F3K9Q-…).', required: true }) },
  fetch: (api, { orderId }) => api.payments.get(orderId!),
});
