import { Flags } from '@oclif/core';
import type { Reservation } from '@tiketi/sdk';
import { TiketiCommand } from '../../base-command.js';
import { CliFailure, EXIT_CODES } from '../../failures.js';

export default class ReservationsComplimentary extends TiketiCommand<typeof ReservationsComplimentary> {
  static override summary =
    'Issue a complimentary reservation (admin): seats or general-admission tickets given to a user, confirmed at no charge.';
  static override description =
    'Give the seats (--seat, repeatable; IDs from `tiketi seats map <eventId> --json`) or --ticket-type with --quantity. The buyer is --user (ID) or --email (the account is looked up).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --event <eventId> --email guest@example.com --seat <seatId> --seat <seatId> --note "press"',
    '<%= config.bin %> <%= command.id %> --event <eventId> --user <userId> --ticket-type <ticketTypeId> --quantity 2 --note "artist guests"',
  ];
  static override flags = {
    event: Flags.string({ description: 'Event ID.', required: true }),
    user: Flags.string({ description: 'The user who gets it (ID).', exactlyOne: ['user', 'email'] }),
    email: Flags.string({ char: 'e', description: 'The user who gets it, by exact email.', exactlyOne: ['user', 'email'] }),
    seat: Flags.string({ description: 'A seat ID (repeatable).', multiple: true, exclusive: ['ticket-type'] }),
    'ticket-type': Flags.string({ description: 'A general-admission ticket type ID.', dependsOn: ['quantity'] }),
    quantity: Flags.integer({ description: 'How many of --ticket-type.', min: 1 }),
    note: Flags.string({ description: 'Why it was given (kept with the reservation).', required: true }),
  };

  public async run(): Promise<Reservation> {
    const { client } = await this.signedInClient();
    const f = this.flags;
    if (!f.seat && !f['ticket-type']) {
      throw new CliFailure(
        'INVALID_ARGUMENTS',
        'Give --seat or --ticket-type with --quantity',
        EXIT_CODES.validation,
        'See `tiketi reservations complimentary --help`.',
      );
    }
    let userId = f.user;
    if (!userId) {
      const wanted = f.email!.trim().toLowerCase();
      const found = (await client.users.list({ email: wanted, limit: 200 }).toArray()).find((u) => u.email.toLowerCase() === wanted);
      if (!found)
        throw new CliFailure(
          'USER_NOT_FOUND',
          `No account with email ${f.email}`,
          EXIT_CODES.notFound,
          'The guest needs an account first.',
        );
      userId = found.id;
    }
    const body = {
      eventId: f.event,
      userId,
      note: f.note,
      ...(f.seat ? { seatIds: f.seat } : { items: [{ ticketTypeId: f['ticket-type']!, quantity: f.quantity! }] }),
    };
    const reservation = await this.spin('Issuing', () =>
      client.request((http, init) => http.POST('/v1/reservations/complimentary', { body, ...init })),
    );
    this.log(`Issued ${reservation.number} (${reservation.status}) to ${reservation.buyerEmail} for "${reservation.eventTitle}".`);
    return reservation;
  }
}
