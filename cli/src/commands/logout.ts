import { TiketiCommand } from '../base-command.js';
import type { LogoutResult } from '../results.js';

export default class Logout extends TiketiCommand<typeof Logout> {
  static override summary = "Forget the profile's saved token (its API URL stays).";
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --profile staging'];

  public async run(): Promise<LogoutResult> {
    const profile = this.flags.profile;
    const before = await this.profiles.update(
      profile,
      ({ token: _token, email: _email, role: _role, userId: _userId, savedAt: _savedAt, ...rest }) => rest,
    );
    const loggedOut = Boolean(before?.token);
    this.log(loggedOut ? `Signed out of profile "${profile}".` : `Profile "${profile}" was not signed in.`);
    return { profile, loggedOut };
  }
}
