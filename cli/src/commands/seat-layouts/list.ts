import type { SeatLayout } from '../../api.js';
import { listCommand } from '../../resource-commands.js';

export default listCommand<SeatLayout>({
  summary: 'List seat layout templates, newest first.',
  examples: ['<%= config.bin %> <%= command.id %>'],
  access: 'public',
  paged: true,
  fetch: (api, _params, query) => api.seatLayouts.list(query),
  columns: [
    { header: 'ID', get: (l) => l.id },
    { header: 'Name', get: (l) => l.name },
    { header: 'Seats', get: (l) => l.totalSeats },
    { header: 'Sections', get: (l) => l.sections.map((s) => s.name).join(', ') },
    { header: 'Created', get: (l) => l.createdAt },
  ],
  empty: 'No seat layouts.',
});
