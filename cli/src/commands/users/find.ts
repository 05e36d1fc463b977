import { Args } from '@oclif/core';
import type { User } from '@tiketi/sdk';
import { TiketiCommand } from '../../base-command.js';
import { CliFailure, EXIT_CODES } from '../../failures.js';

export default class UsersFind extends TiketiCommand<typeof UsersFind> {
  static override summary = 'Find the account with this exact email address (any case), e.g. to get its ID for set-role.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> buyer@example.com',
    '<%= config.bin %> <%= command.id %> buyer@example.com --json | jq -r .result.id',
  ];
  static override args = { email: Args.string({ description: 'Email address.', required: true }) };

  public async run(): Promise<User> {
    const { client } = await this.signedInClient();
    const wanted = this.args.email.trim().toLowerCase();
    const candidates = await this.spin('Looking up the user', () => client.users.list({ email: wanted, limit: 200 }).toArray());
    const user = candidates.find((u) => u.email.toLowerCase() === wanted);
    if (!user) {
      throw new CliFailure(
        'USER_NOT_FOUND',
        `No account with email ${this.args.email}`,
        EXIT_CODES.notFound,
        'List near matches with `tiketi users list --email <part>`.',
      );
    }
    this.record({ id: user.id, email: user.email, name: user.name, role: user.role, created: user.createdAt });
    return user;
  }
}
