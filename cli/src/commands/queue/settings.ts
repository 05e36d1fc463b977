import { Args, Flags } from '@oclif/core';
import type { QueueSettings, UpdateQueueBody } from '@tiketi/sdk';
import { TiketiCommand } from '../../base-command.js';
import { settingsRecord } from '../../queue.js';

export default class QueueSettingsCommand extends TiketiCommand<typeof QueueSettingsCommand> {
  static override summary = "Configure an event's waiting room (admin); without flags, show it.";
  static override description =
    'While the waiting room is on, holds of the event need an admission. Switching it off forgets the line. `randomized-at-open` gives everyone who joined before --opens-at (default: the sale start) a random place.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> <eventId> --enable --admit-per-second 50 --max-active 500 --admission-ttl 600',
    '<%= config.bin %> <%= command.id %> <eventId> --order randomized-at-open --opens-at 2026-12-01T10:00:00Z',
    '<%= config.bin %> <%= command.id %> <eventId> --disable',
  ];
  static override args = { eventId: Args.string({ description: 'Event ID.', required: true }) };
  static override flags = {
    enable: Flags.boolean({ description: 'Turn the waiting room on.', exclusive: ['disable'] }),
    disable: Flags.boolean({ description: 'Turn it off (the line is forgotten).', exclusive: ['enable'] }),
    'admit-per-second': Flags.integer({ description: 'Pace of the background admitter.', min: 1 }),
    'admission-ttl': Flags.integer({ description: 'How long an admission lasts, in seconds.', min: 1 }),
    'max-active': Flags.integer({ description: 'Admit no more while this many admissions are live.', min: 1 }),
    order: Flags.string({ description: 'Admission order.', options: ['fifo', 'randomized-at-open'] }),
    'opens-at': Flags.string({ description: 'When the line opens (ISO 8601), or `none` for the sale start.' }),
  };

  public async run(): Promise<QueueSettings> {
    const f = this.flags;
    const body: UpdateQueueBody = {};
    if (f.enable) body.enabled = true;
    if (f.disable) body.enabled = false;
    if (f['admit-per-second'] !== undefined) body.admitPerSecond = f['admit-per-second'];
    if (f['admission-ttl'] !== undefined) body.admissionTtlSeconds = f['admission-ttl'];
    if (f['max-active'] !== undefined) body.maxActive = f['max-active'];
    if (f.order !== undefined) body.order = f.order as UpdateQueueBody['order'];
    if (f['opens-at'] !== undefined) body.opensAt = f['opens-at'] === 'none' ? null : f['opens-at'];
    const queue =
      Object.keys(body).length === 0
        ? await (await this.anyClient()).queue.settings(this.args.eventId)
        : await (await this.signedInClient()).client.queue.updateSettings(this.args.eventId, body);
    this.record(settingsRecord(queue));
    return queue;
  }
}
