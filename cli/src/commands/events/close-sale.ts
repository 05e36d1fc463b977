import { Args } from '@oclif/core';
import type { EventDetail } from '@tiketi/sdk';
import { confirmFlags, TiketiCommand } from '../../base-command.js';

export default class EventsCloseSale extends TiketiCommand<typeof EventsCloseSale> {
  static override summary = 'Close sale for good: the event is ended and sells nothing more (confirmed tickets stay valid).';
  static override description = 'To stop selling for a while, use `tiketi queue pause` instead; an ended event cannot go on sale again.';
  static override examples = ['<%= config.bin %> <%= command.id %> <eventId> --yes'];
  static override args = { eventId: Args.string({ description: 'Event ID.', required: true }) };
  static override flags = { ...confirmFlags };

  public async run(): Promise<EventDetail> {
    const { client } = await this.signedInClient();
    await this.confirmDestructive(`Close sale of event ${this.args.eventId} for good`);
    const event = await this.spin('Closing sale', () => client.events.update(this.args.eventId, { status: 'ended' }));
    this.log(`"${event.title}" is ${event.status}.`);
    return event;
  }
}
