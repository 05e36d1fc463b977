import { Args } from '@oclif/core';
import { getCommand } from '../../resource-commands.js';

export default getCommand({
  summary: 'Show a reservation with its items and total.',
  examples: ['<%= config.bin %> <%= command.id %> <reservationId>'],
  access: 'admin',
  args: { reservationId: Args.string({ description: 'Reservation ID.', required: true }) },
  fetch: (api, { reservationId }) => api.reservations.get(reservationId!),
});
