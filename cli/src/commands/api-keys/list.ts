import { Flags } from '@oclif/core';
import { TiketiCommand } from '../../base-command.js';
import type { ApiKeyListResult } from '../../results.js';

export default class ApiKeysList extends TiketiCommand<typeof ApiKeysList> {
  static override summary = 'List admin API keys, newest first (secrets are never shown again).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --all --json'];
  static override flags = {
    limit: Flags.integer({ description: 'Page size.', default: 50, min: 1, max: 100 }),
    cursor: Flags.string({ description: 'Continue after a previous page (its nextCursor).' }),
    all: Flags.boolean({ description: 'Fetch every page.', default: false, exclusive: ['cursor'] }),
  };

  public async run(): Promise<ApiKeyListResult> {
    const { client } = await this.signedInClient();
    const { limit, cursor, all } = this.flags;
    const page = await this.spin('Listing API keys', async () => {
      const keys = client.apiKeys.list({ limit, ...(cursor ? { cursor } : {}) });
      return all ? { data: await keys.toArray(), nextCursor: null } : await keys;
    });
    this.table(
      page.data,
      [
        { header: 'ID', get: (k) => k.id },
        { header: 'Name', get: (k) => k.name },
        { header: 'Prefix', get: (k) => k.prefix },
        { header: 'Scopes', get: (k) => k.scopes.join(', ') },
        { header: 'Created', get: (k) => k.createdAt },
        { header: 'Last used', get: (k) => k.lastUsedAt ?? 'never' },
        { header: 'Revoked', get: (k) => k.revokedAt ?? '' },
      ],
      'No API keys.',
    );
    if (page.nextCursor) this.log(`More: --cursor ${page.nextCursor}`);
    return { data: page.data, nextCursor: page.nextCursor };
  }
}
