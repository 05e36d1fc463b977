// The hold's public shapes and small helpers, shared by the service and the hold worker.
import type { SeatRow } from './repository.js';

export interface HoldRequest {
  userId: string;
  eventId: string;
  seatIds?: string[];
  items?: Array<{ ticketTypeId: string; quantity: number }>;
}

export interface SeatView {
  id: string;
  section: string;
  row: string;
  number: number;
  label: string;
  price: number;
  ticketTypeId: string | null;
}

export interface HoldView {
  id: string;
  eventId: string;
  status: 'active' | 'converted' | 'released' | 'expired';
  seats: SeatView[];
  items: Array<{ ticketTypeId: string; name: string; quantity: number; unitPrice: number }>;
  totalAmount: number;
  currency: string;
  expiresAt: string;
  createdAt: string;
}

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
