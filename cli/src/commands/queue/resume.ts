import { Args } from '@oclif/core';
import type { QueueSettings } from '@tiketi/sdk';
import { TiketiCommand } from '../../base-command.js';
import { describeLine } from '../../queue.js';

export default class QueueResume extends TiketiCommand<typeof QueueResume> {
  static override summary = "Resume admitting from an event's waiting room (admin).";
  static override examples = ['<%= config.bin %> <%= command.id %> <eventId>'];
  static override args = { eventId: Args.string({ description: 'Event ID.', required: true }) };

  public async run(): Promise<QueueSettings> {
    const { client } = await this.signedInClient();
    const queue = await client.queue.updateSettings(this.args.eventId, { paused: false });
    this.log(describeLine(queue));
    return queue;
  }
}
