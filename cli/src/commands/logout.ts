import { Flags } from '@oclif/core';
import { TiketiCommand } from '../base-command.js';
import type { LogoutResult } from '../results.js';

export default class Logout extends TiketiCommand<typeof Logout> {
  static override summary = "Sign out: revoke the profile's sign-in on the server and forget its tokens (its API URL stays).";
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --profile staging',
    '<%= config.bin %> <%= command.id %> --everywhere',
  ];
  static override flags = {
    everywhere: Flags.boolean({
      description: "Sign out every session of the account (other machines, browsers and the SDK too), not only this profile's.",
      default: false,
    }),
  };

  public async run(): Promise<LogoutResult> {
    const profileName = this.flags.profile;
    const profile = await this.profiles.get(profileName);
    let revoked = false;
    if (profile?.token && profile.apiUrl) {
      const client = this.sdk({ apiUrl: profile.apiUrl, token: profile.token, refreshToken: profile.refreshToken, profileName });
      if (this.flags.everywhere) {
        // Needs a working session: a failure here is the command's failure, and the profile stays.
        await this.spin('Signing out everywhere', () => client.auth.logoutEverywhere());
        revoked = true;
      } else if (profile.refreshToken) {
        // Best effort: signing out of an unreachable server still forgets the tokens here.
        revoked = await client.auth.logout(profile.refreshToken, { maxRetries: 0, timeoutMs: 5000 }).then(
          () => true,
          (err: Error) => {
            this.warn(`Could not revoke the sign-in on the server (${err.message}); forgetting it here anyway.`);
            return false;
          },
        );
      }
    }
    const before = await this.profiles.update(
      profileName,
      ({ token: _token, refreshToken: _refreshToken, email: _email, role: _role, userId: _userId, savedAt: _savedAt, ...rest }) => rest,
    );
    const loggedOut = Boolean(before?.token);
    this.log(
      loggedOut
        ? `Signed out of profile "${profileName}"${this.flags.everywhere ? ' and every other session of the account' : ''}.`
        : `Profile "${profileName}" was not signed in.`,
    );
    return { profile: profileName, loggedOut, revokedOnServer: revoked };
  }
}
