import { Args } from '@oclif/core';
import type { QueueSettings } from '@tiketi/sdk';
import { TiketiCommand } from '../../base-command.js';
import { describeLine } from '../../queue.js';

export default class QueuePause extends TiketiCommand<typeof QueuePause> {
  static override summary = "Pause the admitter of an event's waiting room (admin): people still join, nobody is let in.";
  static override examples = ['<%= config.bin %> <%= command.id %> <eventId>'];
  static override args = { eventId: Args.string({ description: 'Event ID.', required: true }) };

  public async run(): Promise<QueueSettings> {
    const { client } = await this.signedInClient();
    const queue = await client.queue.updateSettings(this.args.eventId, { paused: true });
    this.log(describeLine(queue));
    return queue;
  }
}
