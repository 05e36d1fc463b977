import { Args } from '@oclif/core';
import { confirmFlags, TiketiCommand } from '../../base-command.js';
import type { ApiKeyRevokeResult } from '../../results.js';

export default class ApiKeysRevoke extends TiketiCommand<typeof ApiKeysRevoke> {
  static override summary = 'Revoke an admin API key; it stops working at once.';
  static override examples = ['<%= config.bin %> <%= command.id %> 0b7c0f0e-2f7e-4c1e-9a55-8f1d2c3b4a59 --yes'];
  static override args = {
    keyId: Args.string({ description: 'ID of the key (see `tiketi api-keys list`).', required: true }),
  };

  static override flags = { ...confirmFlags };

  public async run(): Promise<ApiKeyRevokeResult> {
    const { client } = await this.signedInClient();
    await this.confirmDestructive(`Revoke API key ${this.args.keyId}`);
    const key = await this.spin('Revoking the API key', () => client.apiKeys.revoke(this.args.keyId));
    this.log(`Revoked API key "${key.name}" (${key.id}) at ${key.revokedAt ?? 'now'}.`);
    return key;
  }
}
