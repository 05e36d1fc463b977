// The hold's public shapes and small helpers, shared by the service and the hold batches.
import type { Static } from '@sinclair/typebox';
import type { SeatRow } from './repository.js';
import type { HeldSeat, Hold, HoldItem } from './schemas.js';

export interface HoldRequest {
  userId: string;
  eventId: string;
  seatIds?: string[];
  items?: Array<{ ticketTypeId: string; quantity: number }>;
}

// The shapes the API answers with, derived from the route schemas (the contract).
export type SeatView = Static<typeof HeldSeat>;
export type HoldView = Omit<Static<typeof Hold>, 'seats' | 'items'> & { seats: SeatView[]; items: Array<Static<typeof HoldItem>> };

export const toSeatView = (s: SeatRow): SeatView => ({
  id: s.id,
  section: s.section,
  row: s.row_label,
  number: s.seat_number,
  label: s.label,
  price: s.price,
  ticketTypeId: s.ticket_type_id,
});

export const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
