import { Args, Flags } from '@oclif/core';
import type { Payment } from '../../api.js';
import { TiketiCommand } from '../../base-command.js';
import { catalogApi } from '../../api.js';

export default class PaymentsRefund extends TiketiCommand<typeof PaymentsRefund> {
  static override summary = 'Refund a payment, fully (cancels the reservation and frees its seats) or partly with --amount.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> <paymentKey> --reason "event cancelled"',
    '<%= config.bin %> <%= command.id %> <paymentKey> --reason "goodwill" --amount 5000',
  ];
  static override args = { paymentKey: Args.string({ description: "The provider's payment key (see `payments get`).", required: true }) };
  static override flags = {
    reason: Flags.string({ description: 'Why (sent to the provider, at most 200 characters).', required: true }),
    amount: Flags.integer({ description: 'Refund only this much (minor units); omit to refund everything left.', min: 1 }),
  };

  public async run(): Promise<Payment> {
    const { client } = await this.signedInClient();
    const payment = await this.spin('Refunding', () =>
      catalogApi(client).payments.refund(this.args.paymentKey, {
        reason: this.flags.reason,
        ...(this.flags.amount === undefined ? {} : { amount: this.flags.amount }),
      }),
    );
    this.log(
      `Payment ${payment.orderId} is ${payment.status}: ${payment.refundedAmount} of ${payment.amount} ${payment.currency} refunded.`,
    );
    return payment;
  }
}
