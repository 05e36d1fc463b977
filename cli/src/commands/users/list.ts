import { Flags } from '@oclif/core';
import { TiketiCommand } from '../../base-command.js';
import type { UserListResult } from '../../results.js';

export default class UsersList extends TiketiCommand<typeof UsersList> {
  static override summary = 'List user accounts, newest first (admin).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --role admin',
    '<%= config.bin %> <%= command.id %> --email @example.com --all --json',
  ];
  static override flags = {
    email: Flags.string({ char: 'e', description: 'Only addresses containing this text (any case).' }),
    role: Flags.string({ char: 'r', description: 'Only this role.', options: ['user', 'admin'] }),
    limit: Flags.integer({ description: 'Page size.', default: 50, min: 1, max: 200 }),
    cursor: Flags.string({ description: 'Continue after a previous page (its nextCursor).' }),
    all: Flags.boolean({ description: 'Fetch every page.', default: false, exclusive: ['cursor'] }),
  };

  public async run(): Promise<UserListResult> {
    const { client } = await this.signedInClient();
    const { email, role, limit, cursor, all } = this.flags;
    const query = {
      limit,
      ...(email ? { email } : {}),
      ...(role ? { role: role as 'user' | 'admin' } : {}),
      ...(cursor ? { cursor } : {}),
    };
    const page = await this.spin('Listing users', async () => {
      const users = client.users.list(query);
      return all ? { data: await users.toArray(), nextCursor: null } : await users;
    });
    this.table(
      page.data,
      [
        { header: 'ID', get: (u) => u.id },
        { header: 'Email', get: (u) => u.email },
        { header: 'Name', get: (u) => u.name },
        { header: 'Role', get: (u) => u.role },
        { header: 'Created', get: (u) => u.createdAt },
      ],
      'No users.',
    );
    if (page.nextCursor) this.log(`More: --cursor ${page.nextCursor}`);
    return { data: page.data, nextCursor: page.nextCursor };
  }
}
