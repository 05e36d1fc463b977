import { writeCommand } from '../../resource-commands.js';

export default writeCommand({
  summary: 'Create a seat layout from a JSON or YAML file: sections with a price category, a price and rows.',
  description: `A section has either rows + seatsPerRow (rows A, B, …) or rowList: [{ label, seats }]. Example:

  name: Olympic Hall
  sections:
    - { name: VIP, ticketType: VIP, price: 165000, rows: 5, seatsPerRow: 20 }
    - { name: R, ticketType: R, price: 132000, rowList: [{ label: F, seats: 30 }, { label: G, seats: 32 }] }

A bad layout is refused with INVALID_LAYOUT and errors[] naming the bad part.`,
  examples: ['<%= config.bin %> <%= command.id %> --file layout.yaml'],
  access: 'admin',
  send: (api, _params, body) => api.seatLayouts.create(body),
  done: (l) => `Created seat layout "${String(l.name)}" (${l.id}) with ${String(l.totalSeats)} seats.`,
});
