import { Flags } from '@oclif/core';
import { TiketiCommand } from '../../base-command.js';
import type { ApiKeyCreateResult } from '../../results.js';

export default class ApiKeysCreate extends TiketiCommand<typeof ApiKeysCreate> {
  static override summary = 'Create an admin API key; its secret is shown this once.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --name ci',
    '<%= config.bin %> <%= command.id %> --name ci --json | jq -r .secret',
  ];
  static override flags = {
    name: Flags.string({ char: 'n', description: 'What the key is for (e.g. "ci").', required: true }),
  };

  public async run(): Promise<ApiKeyCreateResult> {
    const { client } = await this.signedInClient();
    const key = await this.spin('Creating the API key', () => client.apiKeys.create({ name: this.flags.name }));
    this.log(`Created API key "${key.name}" (${key.id}).`);
    this.log(`Secret, shown only now; store it safely: ${key.secret}`);
    this.log('Use it with: TIKETI_API_KEY=<secret> tiketi ...');
    return key;
  }
}
