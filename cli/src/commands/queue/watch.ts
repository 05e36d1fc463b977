import { Args, Flags } from '@oclif/core';
import type { QueueSettings } from '@tiketi/sdk';
import { TiketiCommand } from '../../base-command.js';
import { describeLine } from '../../queue.js';
import type { QueueWatchResult } from '../../results.js';

export default class QueueWatch extends TiketiCommand<typeof QueueWatch> {
  static override summary = "Show an event's waiting room live: waiting, admitted now and in all, the measured pace.";
  static override description =
    'Reads the line every --interval seconds and prints a line when it changed (on a terminal, it redraws in place); Ctrl-C stops. With --json, prints the last reading and the number of changes when it stops.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> <eventId>',
    '<%= config.bin %> <%= command.id %> <eventId> --interval 5 --updates 10 --json',
  ];
  static override args = { eventId: Args.string({ description: 'Event ID.', required: true }) };
  static override flags = {
    interval: Flags.integer({ description: 'Seconds between reads.', default: 1, min: 1 }),
    updates: Flags.integer({ description: 'Stop after this many changes (default: until Ctrl-C).', min: 1 }),
  };

  public async run(): Promise<QueueWatchResult> {
    const client = await this.anyClient();
    let stop = false;
    const onSignal = () => {
      stop = true;
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let last: QueueSettings | undefined;
    let updates = 0;
    const live = process.stdout.isTTY && !this.jsonEnabled();
    if (!this.jsonEnabled()) this.logToStderr('Watching the line; Ctrl-C to stop.');
    while (!stop) {
      const now = await client.queue.settings(this.args.eventId);
      if (JSON.stringify(now) !== JSON.stringify(last)) {
        updates++;
        if (this.jsonEnabled()) {
          // JSON: only the result, at the end.
        } else if (live) process.stdout.write(`\r\x1b[2K${new Date().toISOString().slice(11, 19)}  ${describeLine(now)}`);
        else this.log(`${new Date().toISOString().slice(11, 19)}  ${describeLine(now)}`);
      }
      last = now;
      if (this.flags.updates !== undefined && updates >= this.flags.updates) break;
      await new Promise((resolve) => setTimeout(resolve, this.flags.interval * 1000));
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (live) process.stdout.write('\n');
    return { eventId: this.args.eventId, updates, last: last! };
  }
}
