import { TiketiCommand } from '../base-command.js';
import type { WhoamiResult } from '../results.js';

export default class Whoami extends TiketiCommand<typeof Whoami> {
  static override summary = 'Show the account the CLI acts as, and where its credential comes from.';
  static override examples = ['<%= config.bin %> <%= command.id %>', 'TIKETI_API_KEY=tk_... <%= config.bin %> <%= command.id %> --json'];

  public async run(): Promise<WhoamiResult> {
    const { client, credentials } = await this.signedInClient();
    const user = await this.spin('Asking the API', () => client.auth.me());
    this.record({
      email: user.email,
      name: user.name,
      role: user.role,
      'user id': user.id,
      'API URL': credentials.apiUrl,
      credential: credentials.source === 'profile' ? `profile "${credentials.profileName}"` : credentials.source,
    });
    return { profile: credentials.profileName, apiUrl: credentials.apiUrl, credential: credentials.source, user };
  }
}
