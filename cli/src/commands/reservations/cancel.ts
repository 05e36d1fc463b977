import { Args, Flags } from '@oclif/core';
import type { Reservation } from '../../api.js';
import { confirmFlags, TiketiCommand } from '../../base-command.js';
import { catalogApi } from '../../api.js';

export default class ReservationsCancel extends TiketiCommand<typeof ReservationsCancel> {
  static override summary = 'Cancel a reservation: its seats and general-admission quantities are released (a confirmed one is refunded).';
  static override examples = ['<%= config.bin %> <%= command.id %> <reservationId> --reason "customer request"'];
  static override args = { reservationId: Args.string({ description: 'Reservation ID.', required: true }) };
  static override flags = { ...confirmFlags, reason: Flags.string({ description: 'Why (kept with the reservation).' }) };

  public async run(): Promise<Reservation> {
    const { client } = await this.signedInClient();
    await this.confirmDestructive(`Cancel reservation ${this.args.reservationId} (a confirmed one is refunded)`);
    const reservation = await this.spin('Cancelling', () =>
      catalogApi(client).reservations.cancel(this.args.reservationId, this.flags.reason ? { reason: this.flags.reason } : undefined),
    );
    this.log(`Reservation ${reservation.number} is ${reservation.status}.`);
    return reservation;
  }
}
