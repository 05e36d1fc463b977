import { Args } from '@oclif/core';
import type { EventDetail } from '@tiketi/sdk';
import { TiketiCommand } from '../../base-command.js';

export default class EventsOpenSale extends TiketiCommand<typeof EventsOpenSale> {
  static override summary = 'Open sale: the event goes on_sale (from upcoming, or back from sold_out).';
  static override examples = ['<%= config.bin %> <%= command.id %> <eventId>'];
  static override args = { eventId: Args.string({ description: 'Event ID.', required: true }) };

  public async run(): Promise<EventDetail> {
    const { client } = await this.signedInClient();
    const event = await this.spin('Opening sale', () => client.events.update(this.args.eventId, { status: 'on_sale' }));
    this.log(`"${event.title}" is ${event.status}.`);
    return event;
  }
}
