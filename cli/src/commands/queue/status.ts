import { Args } from '@oclif/core';
import type { QueueSettings } from '@tiketi/sdk';
import { TiketiCommand } from '../../base-command.js';
import { describeLine, settingsRecord } from '../../queue.js';

export default class QueueStatus extends TiketiCommand<typeof QueueStatus> {
  static override summary = "Show an event's waiting room: its settings and the line now.";
  static override examples = ['<%= config.bin %> <%= command.id %> <eventId>', '<%= config.bin %> <%= command.id %> <eventId> --json'];
  static override args = { eventId: Args.string({ description: 'Event ID.', required: true }) };

  public async run(): Promise<QueueSettings> {
    const client = await this.anyClient();
    const queue = await this.spin('Reading the waiting room', () => client.queue.settings(this.args.eventId));
    this.record(settingsRecord(queue));
    if (!this.jsonEnabled()) this.log(describeLine(queue));
    return queue;
  }
}
