import { Type } from '@sinclair/typebox';
import { ListQuery, NonBlankText, Nullable, StrictObject, Timestamp, Uuid } from '../../schemas.js';

const Money = Type.Integer({ minimum: 0, description: "Amount in the currency's minor unit" });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code' });

export const SeatStatus = Type.Union([Type.Literal('available'), Type.Literal('held'), Type.Literal('sold')], {
  description: 'held covers seats in an unexpired hold and in a pending reservation',
});

const seatProps = {
  id: Uuid(),
  section: Type.String(),
  row: Type.String({ description: 'Row label as printed on the ticket' }),
  number: Type.Integer({ minimum: 1 }),
  label: Type.String(),
  price: Money,
  ticketTypeId: Nullable(Uuid()),
};

const place = {
  x: Type.Optional(Type.Number({ description: 'Where to draw the seat, in seat widths from the left (from the layout, or generated)' })),
  y: Type.Optional(Type.Number({ description: 'Where to draw the seat, in rows from the top' })),
};

/** A seat as the seat map shows it. */
export const MapSeat = Type.Object({ ...seatProps, ...place, status: SeatStatus }, { $id: 'MapSeat', title: 'MapSeat' });

export const SeatGeometry = Type.Object(
  {
    eventId: Uuid(),
    geometryVersion: Type.String({ description: 'Names this geometry; GET it with ?v= to have it cached for good' }),
    seats: Type.Array(Type.Object({ ...seatProps, ...place }), { description: 'In map order, the order of SeatStatuses.statuses' }),
  },
  { $id: 'SeatGeometry', title: 'SeatGeometry' },
);

export const SeatStatusChange = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    type: Type.Union([Type.Literal('seat.held'), Type.Literal('seat.released'), Type.Literal('seat.sold')]),
    seatIds: Type.Array(Uuid()),
  },
  { title: 'SeatStatusChange' },
);

export const SeatStatuses = Type.Object(
  {
    eventId: Uuid(),
    version: Type.Integer({ minimum: 0, description: 'Seat version of this answer; apply realtime messages with a later version only' }),
    geometryVersion: Type.String({ description: 'The geometry the statuses are in the order of' }),
    full: Type.Boolean({ description: 'true: statuses holds every seat; false: changes holds what changed after `since`' }),
    statuses: Type.Optional(
      Type.String({ description: 'One character per seat in geometry order: a available, h held, s sold (when full)' }),
    ),
    changes: Type.Array(SeatStatusChange, { description: 'Changes after `since`, oldest first (empty when full)' }),
  },
  { $id: 'SeatStatuses', title: 'SeatStatuses' },
);

export const SeatStatusQuery = StrictObject({
  since: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: 'A version you have: answers only the changes after it when this server still has them all, the full statuses otherwise',
    }),
  ),
});
export const SeatGeometryQuery = StrictObject({
  v: Type.Optional(Type.String({ maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'geometryVersion: makes the answer immutable' })),
});

export const SeatMap = Type.Object(
  {
    eventId: Uuid(),
    version: Type.Integer({ minimum: 0, description: 'Seat version of this snapshot; apply realtime messages with a later version only' }),
    seats: Type.Array(Type.Ref('MapSeat')),
  },
  { $id: 'SeatMap', title: 'SeatMap' },
);

export const HeldSeat = Type.Object(seatProps, { $id: 'HeldSeat', title: 'HeldSeat' });

export const HoldItem = Type.Object(
  { ticketTypeId: Uuid(), name: Type.String(), quantity: Type.Integer({ minimum: 1 }), unitPrice: Money },
  { $id: 'HoldItem', title: 'HoldItem' },
);

export const HoldStatus = Type.Union((['active', 'converted', 'released', 'expired'] as const).map((s) => Type.Literal(s)));

export const Hold = Type.Object(
  {
    id: Uuid(),
    eventId: Uuid(),
    userId: Uuid({ description: 'Who holds it' }),
    status: HoldStatus,
    seats: Type.Array(Type.Ref('HeldSeat')),
    items: Type.Array(Type.Ref('HoldItem'), { description: 'General-admission quantities' }),
    totalAmount: Money,
    currency: Currency,
    expiresAt: Timestamp(),
    createdAt: Timestamp(),
  },
  { $id: 'Hold', title: 'Hold' },
);

/** Hold body; `max` is MAX_TICKETS_PER_USER, so one request can never ask for more than the limit. */
export const createHoldBody = (max: number) =>
  StrictObject(
    {
      seatIds: Type.Optional(
        Type.Array(Uuid(), { minItems: 1, maxItems: max, uniqueItems: true, description: 'Seats to hold, all or none' }),
      ),
      items: Type.Optional(
        Type.Array(StrictObject({ ticketTypeId: Uuid(), quantity: Type.Integer({ minimum: 1, maximum: max }) }), {
          minItems: 1,
          maxItems: max,
          description: 'General-admission quantities, all or none (one entry per ticket type)',
        }),
      ),
    },
    { minProperties: 1, maxProperties: 1, title: 'CreateHold', description: 'Exactly one of seatIds or items' },
  );

export const ReservationStatus = Type.Union(['pending', 'confirmed', 'cancelled', 'expired'].map((s) => Type.Literal(s)));

export const ReservationItem = Type.Object(
  {
    ticketTypeId: Uuid(),
    seatId: Nullable(Uuid()),
    label: Nullable(Type.String({ description: 'Seat label; null for general admission' })),
    quantity: Type.Integer({ minimum: 1 }),
    unitPrice: Money,
    subtotal: Money,
  },
  { $id: 'ReservationItem', title: 'ReservationItem' },
);

export const Reservation = Type.Object(
  {
    id: Uuid(),
    number: Type.String({ pattern: '^TK-[0-9]{8}-[0-9A-Z]{6}$', description: 'Human reservation number' }),
    eventId: Uuid(),
    eventTitle: Type.String(),
    userId: Uuid(),
    buyerEmail: Type.String({ description: "The buyer's account email" }),
    holdId: Nullable(Uuid()),
    status: ReservationStatus,
    complimentary: Type.Boolean({ description: 'Issued by an admin at price 0, without a payment' }),
    note: Nullable(Type.String({ description: "The issuing admin's note on a complimentary reservation" })),
    items: Type.Array(Type.Ref('ReservationItem')),
    totalAmount: Money,
    currency: Currency,
    expiresAt: Timestamp({ description: 'Pay before this, or the reservation expires and its seats are released' }),
    confirmedAt: Nullable(Timestamp()),
    endedAt: Nullable(Timestamp({ description: 'When it was cancelled or expired' })),
    createdAt: Timestamp(),
  },
  { $id: 'Reservation', title: 'Reservation' },
);

export const CreateReservationBody = StrictObject({ holdId: Uuid() }, { title: 'CreateReservation' });
export const CancelReservationBody = Type.Optional(
  StrictObject({ reason: Type.Optional(NonBlankText(500)) }, { title: 'CancelReservation' }),
);

export const MyReservationsQuery = StrictObject({ ...ListQuery, status: Type.Optional(ReservationStatus), eventId: Type.Optional(Uuid()) });
export const ReservationsQuery = StrictObject({
  ...ListQuery,
  status: Type.Optional(ReservationStatus),
  eventId: Type.Optional(Uuid()),
  userId: Type.Optional(Uuid()),
  email: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 254,
      pattern: '^[^\\u0000-\\u0020\\u007F]+$',
      description: "The buyer's account email, exactly (case-insensitive)",
    }),
  ),
});

export const HoldsQuery = StrictObject({
  ...ListQuery,
  eventId: Type.Optional(Uuid()),
  userId: Type.Optional(Uuid()),
  status: Type.Optional(
    Type.Union(
      (['active', 'converted', 'released', 'expired'] as const).map((s) => Type.Literal(s)),
      {
        description: 'active: unexpired now; expired includes active holds past their time that the sweeper has not ended yet',
      },
    ),
  ),
});

/** An admin issues tickets to a user: confirmed at price 0, no payment; `max` bounds one request. */
export const createComplimentaryBody = (max: number) =>
  StrictObject(
    {
      eventId: Uuid(),
      userId: Uuid({ description: 'Who gets the tickets' }),
      seatIds: Type.Optional(Type.Array(Uuid(), { minItems: 1, maxItems: max, uniqueItems: true, description: 'Seats, all or none' })),
      items: Type.Optional(
        Type.Array(StrictObject({ ticketTypeId: Uuid(), quantity: Type.Integer({ minimum: 1, maximum: max }) }), {
          minItems: 1,
          maxItems: max,
          description: 'General-admission quantities, all or none (one entry per ticket type)',
        }),
      ),
      note: NonBlankText(500, { description: 'Why (kept on the reservation)' }),
    },
    { title: 'CreateComplimentaryReservation', description: 'Exactly one of seatIds or items' },
  );

export const CancelEventBody = Type.Optional(
  StrictObject({ reason: Type.Optional(NonBlankText(500, { description: 'Told to buyers with their refund' })) }, { title: 'CancelEvent' }),
);

const Count = Type.Integer({ minimum: 0 });
export const EventCancellation = Type.Object(
  {
    eventId: Uuid(),
    status: Type.Union([Type.Literal('in_progress'), Type.Literal('done'), Type.Literal('needs_attention')], {
      description:
        'in_progress: reservations are being ended and refunded; done: none is left; needs_attention: only reservations whose refund failed are left (a temporary failure is retried by the server after a minute; POST cancel again to retry every one now)',
    }),
    reason: Type.String(),
    requestedAt: Timestamp(),
    finishedAt: Nullable(Timestamp()),
    reservations: Type.Object(
      {
        total: Count,
        pending: Type.Integer({ minimum: 0, description: 'Still to end' }),
        confirmed: Type.Integer({ minimum: 0, description: 'Still to refund (failures included)' }),
        cancelled: Count,
        expired: Count,
        refunded: Type.Integer({ minimum: 0, description: 'Of the cancelled, those that were paid and are refunded' }),
      },
      { description: "The event's reservations by status now: progress is (cancelled + expired) / total" },
    ),
    refundFailures: Type.Array(
      Type.Object({
        reservationId: Uuid(),
        orderId: Type.String(),
        code: Type.String(),
        message: Type.String(),
        failedAt: Timestamp(),
      }),
      { description: 'Refunds the provider refused or could not make; those reservations stay confirmed and nothing is lost' },
    ),
  },
  { $id: 'EventCancellation', title: 'EventCancellation' },
);
