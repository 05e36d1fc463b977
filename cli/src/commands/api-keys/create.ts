import { Flags } from '@oclif/core';
import { TiketiCommand } from '../../base-command.js';
import type { ApiKeyScope } from '@tiketi/sdk';
import type { ApiKeyCreateResult } from '../../results.js';

export default class ApiKeysCreate extends TiketiCommand<typeof ApiKeysCreate> {
  static override summary = 'Create an admin API key; its secret is shown this once.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --name ci',
    '<%= config.bin %> <%= command.id %> --name ci --json | jq -r .secret',
    '<%= config.bin %> <%= command.id %> --name catalog-sync --scope catalog',
  ];
  static override description = `Needs an admin signed in with \`tiketi login\` (an API key cannot create keys). The key acts for you within its scopes and stops working if you stop being an admin:
  read-only   admin reads (GET) everywhere (the default)
  catalog     reads and writes of events, ticket types, seat layouts, news, keyword mappings
  operations  reads and writes of holds, reservations, queues, payments, users`;
  static override flags = {
    name: Flags.string({ char: 'n', description: 'What the key is for (e.g. "ci").', required: true }),
    scope: Flags.string({
      char: 's',
      description: 'What the key may do; repeat for several. Default: read-only.',
      options: ['read-only', 'catalog', 'operations'],
      multiple: true,
    }),
  };

  public async run(): Promise<ApiKeyCreateResult> {
    const { client } = await this.signedInClient();
    const key = await this.spin('Creating the API key', () =>
      client.apiKeys.create({ name: this.flags.name, ...(this.flags.scope ? { scopes: this.flags.scope as ApiKeyScope[] } : {}) }),
    );
    this.log(`Created API key "${key.name}" (${key.id}), scopes: ${key.scopes.join(', ')}.`);
    this.log(`Secret, shown only now; store it safely: ${key.secret}`);
    this.log('Use it with: TIKETI_API_KEY=<secret> tiketi ...');
    return key;
  }
}
