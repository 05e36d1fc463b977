import { Args } from '@oclif/core';
import type { Hold } from '@tiketi/sdk';
import { confirmFlags, TiketiCommand } from '../../base-command.js';

export default class HoldsRelease extends TiketiCommand<typeof HoldsRelease> {
  static override summary = 'Release a hold now (admin): its seats or quantities go back on sale before it would expire.';
  static override examples = ['<%= config.bin %> <%= command.id %> <holdId> --yes'];
  static override args = { holdId: Args.string({ description: 'Hold ID (see `tiketi holds list`).', required: true }) };
  static override flags = { ...confirmFlags };

  public async run(): Promise<Hold> {
    const { client } = await this.signedInClient();
    await this.confirmDestructive(`Release hold ${this.args.holdId} (its seats go back on sale)`);
    const hold = await this.spin('Releasing', () => client.holds.release(this.args.holdId));
    this.log(`Hold ${hold.id} is ${hold.status}.`);
    return hold;
  }
}
