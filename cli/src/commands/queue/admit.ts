import { Args, Flags } from '@oclif/core';
import type { AdmitResult } from '@tiketi/sdk';
import { TiketiCommand } from '../../base-command.js';

export default class QueueAdmit extends TiketiCommand<typeof QueueAdmit> {
  static override summary = 'Admit the next people in line now, in order, whatever the pace or pause (admin).';
  static override examples = ['<%= config.bin %> <%= command.id %> <eventId> --count 100'];
  static override args = { eventId: Args.string({ description: 'Event ID.', required: true }) };
  static override flags = {
    count: Flags.integer({ char: 'n', description: 'How many to let in.', required: true, min: 1, max: 10_000 }),
  };

  public async run(): Promise<AdmitResult> {
    const { client } = await this.signedInClient();
    const result = await client.queue.admit(this.args.eventId, this.flags.count);
    this.log(`Admitted ${result.admitted} (asked for ${this.flags.count}).`);
    return result;
  }
}
