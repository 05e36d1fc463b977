import { Args } from '@oclif/core';
import { TiketiCommand } from '../../base-command.js';
import type { UserSetRoleResult } from '../../results.js';

export default class UsersSetRole extends TiketiCommand<typeof UsersSetRole> {
  static override summary = "Change a user's role (admin, signed in with `tiketi login`).";
  static override description = `The user's current tokens stop working (they renew into the new role); demoting an admin also revokes the API keys they created. The last admin cannot be demoted.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %> 0b7c0f0e-2f7e-4c1e-9a55-8f1d2c3b4a59 admin',
    '<%= config.bin %> <%= command.id %> 0b7c0f0e-2f7e-4c1e-9a55-8f1d2c3b4a59 user --json',
  ];
  static override args = {
    userId: Args.string({ description: 'ID of the user (see `tiketi users list`).', required: true }),
    role: Args.string({ description: 'The new role.', required: true, options: ['user', 'admin'] }),
  };

  public async run(): Promise<UserSetRoleResult> {
    const { client } = await this.signedInClient();
    const { userId, role } = this.args;
    const user = await this.spin('Changing the role', () => client.users.setRole(userId, role as 'user' | 'admin'));
    this.log(`${user.email} is now ${user.role}.`);
    return user;
  }
}
