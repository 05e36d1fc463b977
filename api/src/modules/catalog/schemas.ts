import { Type, type Static } from '@sinclair/typebox';
import { HttpUrl, ListQuery, NonBlankText, Nullable, StrictObject, Text, Timestamp, Uuid } from '../../schemas.js';

// ---- shared pieces --------------------------------------------------------------------------

export const EVENT_STATUSES = ['upcoming', 'on_sale', 'sold_out', 'ended', 'cancelled'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];
export const EventStatusSchema = Type.Union(
  EVENT_STATUSES.map((s) => Type.Literal(s)),
  {
    description: 'upcoming → on_sale → sold_out | ended | cancelled; on_sale ↔ sold_out; upcoming → cancelled',
  },
);

const Money = (description: string) => Type.Integer({ minimum: 0, maximum: 100_000_000, description });
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code; amounts are in its minor unit (KRW: whole won)' });
const ShortText = NonBlankText;

// ---- seat layouts ---------------------------------------------------------------------------

/** Most seats one layout may generate: a stadium (Seoul's hold 45,000-70,000); keeps one event's seat insert and seat map bounded. */
export const MAX_LAYOUT_SEATS = 100_000;

export const LayoutRow = StrictObject(
  {
    label: ShortText(10, { description: 'Row label printed on the ticket, such as A or 12' }),
    seats: Type.Integer({ minimum: 1, maximum: 1000, description: 'Seats in this row, numbered from 1' }),
  },
  { title: 'LayoutRow' },
);

export const LayoutSection = StrictObject(
  {
    name: ShortText(30, { description: 'Section name, unique in the layout (VIP, R, Floor-A ...)' }),
    ticketType: ShortText(50, { description: 'Price category the seats belong to; sections may share one if their prices agree' }),
    price: Money('Price of every seat in the section, in the event currency'),
    rows: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 200, description: 'Number of rows, labelled A, B, … Z, AA …; with seatsPerRow' }),
    ),
    seatsPerRow: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Seats in each row; with rows' })),
    rowList: Type.Optional(
      Type.Array(LayoutRow, {
        minItems: 1,
        maxItems: 200,
        description: 'Explicit rows with their own labels and seat counts; instead of rows + seatsPerRow',
      }),
    ),
    x: Type.Optional(
      Type.Number({
        minimum: -100_000,
        maximum: 100_000,
        description:
          'Where the section starts on the drawn map (its first seat of row 1), in seat widths; with y. Without them sections are placed side by side',
      }),
    ),
    y: Type.Optional(Type.Number({ minimum: -100_000, maximum: 100_000, description: 'See x; rows go down by one unit each' })),
  },
  { title: 'LayoutSection' },
);
export type LayoutSectionInput = Static<typeof LayoutSection>;

export const CreateSeatLayoutBody = StrictObject({
  name: ShortText(100),
  description: Type.Optional(Text({ maxLength: 2000 })),
  sections: Type.Array(LayoutSection, { minItems: 1, maxItems: 100 }),
});
export type CreateSeatLayoutInput = Static<typeof CreateSeatLayoutBody>;

/** A layout no event uses yet may change in any part; `sections`, when given, replaces them all. */
export const UpdateSeatLayoutBody = StrictObject(
  {
    name: Type.Optional(ShortText(100)),
    description: Type.Optional(Nullable(Text({ maxLength: 2000 }))),
    sections: Type.Optional(Type.Array(LayoutSection, { minItems: 1, maxItems: 100 })),
  },
  { minProperties: 1, title: 'UpdateSeatLayout' },
);
export type UpdateSeatLayoutInput = Static<typeof UpdateSeatLayoutBody>;

export const SeatLayout = Type.Object(
  {
    id: Uuid(),
    name: Type.String(),
    description: Nullable(Type.String()),
    totalSeats: Type.Integer(),
    sections: Type.Array(
      Type.Object({
        name: Type.String(),
        ticketType: Type.String(),
        price: Type.Integer(),
        seatCount: Type.Integer({ description: 'Seats the section generates' }),
        rows: Type.Optional(Type.Integer()),
        seatsPerRow: Type.Optional(Type.Integer()),
        rowList: Type.Optional(Type.Array(Type.Object({ label: Type.String(), seats: Type.Integer() }))),
        x: Type.Optional(Type.Number()),
        y: Type.Optional(Type.Number()),
      }),
    ),
    createdAt: Timestamp(),
    updatedAt: Timestamp(),
  },
  { $id: 'SeatLayout', title: 'SeatLayout' },
);

// ---- ticket types ---------------------------------------------------------------------------

export const TicketTypeKind = Type.Union([Type.Literal('seated'), Type.Literal('general')], {
  description: 'seated: a price category of numbered seats; general: admission by quantity (standing)',
});

export const TicketType = Type.Object(
  {
    id: Uuid(),
    eventId: Uuid(),
    name: Type.String(),
    kind: TicketTypeKind,
    price: Type.Integer(),
    currency: Type.String(),
    totalQuantity: Type.Integer({ description: 'seated: seats in the category; general: tickets for sale' }),
    availableQuantity: Type.Integer({
      description:
        'Not held, reserved or sold right now. Seats of an expired hold count again once it is swept (SWEEP_INTERVAL_MS); general-admission tickets of an expired hold count at once',
    }),
    description: Nullable(Type.String()),
    sortOrder: Type.Integer(),
    createdAt: Timestamp(),
    updatedAt: Timestamp(),
  },
  { $id: 'TicketType', title: 'TicketType' },
);

export const CreateTicketTypeBody = StrictObject({
  name: ShortText(50),
  kind: TicketTypeKind,
  price: Money('Price per ticket, in the event currency'),
  totalQuantity: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Required for general admission; seated types count their seats' }),
  ),
  description: Type.Optional(Text({ maxLength: 1000 })),
  sortOrder: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
});
export type CreateTicketTypeInput = Static<typeof CreateTicketTypeBody>;

export const UpdateTicketTypeBody = StrictObject(
  {
    name: Type.Optional(ShortText(50)),
    price: Type.Optional(Money('New price; for seated types also the price of every seat of the type')),
    totalQuantity: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'General admission only; availability moves by the same delta' }),
    ),
    description: Type.Optional(Nullable(Text({ maxLength: 1000 }))),
    sortOrder: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
  },
  { minProperties: 1 },
);
export type UpdateTicketTypeInput = Static<typeof UpdateTicketTypeBody>;

// ---- events ---------------------------------------------------------------------------------

const eventProps = {
  id: Uuid(),
  title: Type.String(),
  description: Nullable(Type.String()),
  venue: Type.String(),
  address: Nullable(Type.String()),
  artistName: Nullable(Type.String()),
  eventDate: Timestamp(),
  saleStartDate: Nullable(Timestamp()),
  saleEndDate: Nullable(Timestamp()),
  posterImageUrl: Nullable(Type.String()),
  status: EventStatusSchema,
  seatLayoutId: Nullable(Uuid()),
  currency: Type.String(),
  minPrice: Nullable(Type.Integer({ description: 'Cheapest ticket type, null without ticket types' })),
  maxPrice: Nullable(Type.Integer()),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
};

export const Event = Type.Object(eventProps, { $id: 'Event', title: 'Event' });

export const EventDetail = Type.Object(
  {
    ...eventProps,
    ticketTypes: Type.Array(
      Type.Object({
        id: Uuid(),
        name: Type.String(),
        kind: TicketTypeKind,
        price: Type.Integer(),
        totalQuantity: Type.Integer(),
        availableQuantity: Type.Integer(),
      }),
    ),
    totalSeats: Type.Integer({ description: 'Numbered seats generated for the event' }),
    seatVersion: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Seat version the seated availability is counted at (see GET /v1/events/{eventId}/seats)' }),
    ),
  },
  { $id: 'EventDetail', title: 'EventDetail' },
);

const Url = HttpUrl();

export const CreateEventBody = StrictObject({
  title: ShortText(200),
  description: Type.Optional(Text({ maxLength: 10_000 })),
  venue: ShortText(200),
  address: Type.Optional(Text({ maxLength: 500 })),
  artistName: Type.Optional(ShortText(200)),
  eventDate: Timestamp(),
  saleStartDate: Type.Optional(Timestamp()),
  saleEndDate: Type.Optional(Timestamp()),
  posterImageUrl: Type.Optional(Url),
  status: Type.Optional(
    Type.Union([Type.Literal('upcoming'), Type.Literal('on_sale')], { default: 'upcoming', description: 'Starting status' }),
  ),
  seatLayoutId: Type.Optional(Uuid({ description: 'Generate the seats and seated ticket types from this layout' })),
  currency: Type.Optional(Currency),
});
export type CreateEventInput = Static<typeof CreateEventBody>;

export const UpdateEventBody = StrictObject(
  {
    title: Type.Optional(ShortText(200)),
    description: Type.Optional(Nullable(Text({ maxLength: 10_000 }))),
    venue: Type.Optional(ShortText(200)),
    address: Type.Optional(Nullable(Text({ maxLength: 500 }))),
    artistName: Type.Optional(Nullable(ShortText(200))),
    eventDate: Type.Optional(Timestamp()),
    saleStartDate: Type.Optional(Nullable(Timestamp())),
    saleEndDate: Type.Optional(Nullable(Timestamp())),
    posterImageUrl: Type.Optional(Nullable(Url)),
    status: Type.Optional(EventStatusSchema),
  },
  { minProperties: 1 },
);
export type UpdateEventInput = Static<typeof UpdateEventBody>;

export const ListEventsQuery = StrictObject({
  ...ListQuery,
  status: Type.Optional(EventStatusSchema),
  q: Type.Optional(
    NonBlankText(100, {
      description: 'Title, artist or venue, in Korean or English; typos forgiven; ranked by match',
    }),
  ),
  from: Type.Optional(Timestamp({ description: 'Events on or after this time' })),
  to: Type.Optional(Timestamp({ description: 'Events before this time' })),
});
export type ListEventsFilter = Static<typeof ListEventsQuery>;

// ---- news -----------------------------------------------------------------------------------

export const News = Type.Object(
  {
    id: Uuid(),
    title: Type.String(),
    content: Type.String(),
    author: Type.String(),
    authorId: Nullable(Uuid()),
    views: Type.Integer(),
    isPinned: Type.Boolean(),
    createdAt: Timestamp(),
    updatedAt: Timestamp(),
  },
  { $id: 'News', title: 'News' },
);

export const CreateNewsBody = StrictObject({
  title: ShortText(200),
  content: NonBlankText(50_000),
  author: Type.Optional(ShortText(100, { description: "Byline; defaults to the admin's name" })),
  isPinned: Type.Optional(Type.Boolean({ default: false })),
});
export type CreateNewsInput = Static<typeof CreateNewsBody>;

export const UpdateNewsBody = StrictObject(
  {
    title: Type.Optional(ShortText(200)),
    content: Type.Optional(NonBlankText(50_000)),
    author: Type.Optional(ShortText(100)),
    isPinned: Type.Optional(Type.Boolean()),
  },
  { minProperties: 1 },
);
export type UpdateNewsInput = Static<typeof UpdateNewsBody>;

// ---- keyword mappings -----------------------------------------------------------------------

export const KeywordMapping = Type.Object(
  {
    id: Uuid(),
    korean: Type.String(),
    english: Type.String(),
    entityType: Type.String(),
    createdAt: Timestamp(),
  },
  { $id: 'KeywordMapping', title: 'KeywordMapping' },
);

export const CreateKeywordMappingBody = StrictObject({
  korean: ShortText(100, { description: 'Korean term, such as 아이유' }),
  english: ShortText(100, { description: 'English term, such as IU' }),
  entityType: Type.Optional(
    Type.Union([Type.Literal('artist'), Type.Literal('venue'), Type.Literal('event'), Type.Literal('other')], { default: 'artist' }),
  ),
});
export type CreateKeywordMappingInput = Static<typeof CreateKeywordMappingBody>;
