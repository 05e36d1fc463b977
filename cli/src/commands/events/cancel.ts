import { Args, Flags } from '@oclif/core';
import type { components } from '@tiketi/sdk';
import cliProgress from 'cli-progress';
import { confirmFlags, TiketiCommand } from '../../base-command.js';

type EventCancellation = components['schemas']['EventCancellation'];

export default class EventsCancel extends TiketiCommand<typeof EventsCancel> {
  static override summary =
    'Cancel an event: no more sales, pending reservations end, confirmed ones are refunded; shows progress until done.';
  static override description = `The event is cancelled at once; the API then ends and refunds its reservations in the background. This command follows that work with a progress bar (stderr, on a terminal) until it is done or needs attention (a refund the provider refused: run the command again to retry those).
Exit 0 when done, 6 when refunds need attention; --no-wait returns after the first pass.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> <eventId> --reason "artist ill" --yes',
    '<%= config.bin %> <%= command.id %> <eventId> --yes --json',
  ];
  static override args = { eventId: Args.string({ description: 'Event ID.', required: true }) };
  static override flags = {
    ...confirmFlags,
    reason: Flags.string({ description: 'Why (shown to buyers with their refund).' }),
    wait: Flags.boolean({ description: 'Follow the work until it is done.', default: true, allowNo: true }),
    interval: Flags.integer({ description: 'Seconds between progress reads.', default: 1, min: 1 }),
  };

  public async run(): Promise<EventCancellation> {
    const { client } = await this.signedInClient();
    const { eventId } = this.args;
    await this.confirmDestructive(`Cancel event ${eventId}: pending reservations end and confirmed ones are refunded`);
    let progress = await this.spin('Cancelling', () =>
      client.request((http, init) =>
        http.POST('/v1/events/{eventId}/cancel', {
          params: { path: { eventId } },
          body: this.flags.reason ? { reason: this.flags.reason } : {},
          ...init,
        }),
      ),
    );
    const bar =
      !this.jsonEnabled() && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: 'Ending reservations [{bar}] {value}/{total} · {refunded} refunded', stream: process.stderr },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
    const done = (p: EventCancellation) => p.reservations.total - p.reservations.pending - p.reservations.confirmed;
    bar?.start(progress.reservations.total, done(progress), { refunded: progress.reservations.refunded });
    while (this.flags.wait && progress.status === 'in_progress') {
      await new Promise((resolve) => setTimeout(resolve, this.flags.interval * 1000));
      progress = await client.request((http, init) =>
        http.GET('/v1/events/{eventId}/cancellation', { params: { path: { eventId } }, ...init }),
      );
      bar?.update(done(progress), { refunded: progress.reservations.refunded });
    }
    bar?.stop();
    const r = progress.reservations;
    this.log(
      `Event ${eventId}: ${progress.status}; ${r.total} reservations (${r.cancelled} cancelled, ${r.refunded} refunded, ${r.expired} expired, ${r.pending + r.confirmed} left).`,
    );
    for (const f of progress.refundFailures) this.warn(`Refund of ${f.orderId} failed: ${f.code} ${f.message}`);
    if (progress.status === 'needs_attention') {
      this.hint('Some refunds failed: run the command again to retry them.');
      process.exitCode = 6;
    }
    return progress;
  }
}
