import { input, password as passwordPrompt } from '@inquirer/prompts';
import { Flags } from '@oclif/core';
import { DEFAULT_API_URL, TiketiCommand } from '../base-command.js';
import { CliFailure, EXIT_CODES } from '../failures.js';
import type { LoginResult } from '../results.js';

export default class Login extends TiketiCommand<typeof Login> {
  static override summary = 'Sign in with email and password and save the token in a profile.';
  static override description = `Asks for the email and password when they are not given and a terminal is attached.
The access token and its refresh token are saved in <configDir>/profiles.json (mode 0600) under --profile; commands renew the short-lived access token by themselves; TIKETI_API_KEY and TIKETI_TOKEN, when set, take precedence over it.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --email admin@tiketi.local --password "$PASSWORD" --api-url http://localhost:3000',
    '<%= config.bin %> <%= command.id %> --profile staging --api-url https://api.staging.example.com',
  ];
  static override flags = {
    email: Flags.string({ char: 'e', description: 'Account email.' }),
    password: Flags.string({ char: 'p', description: 'Account password (prompted when omitted on a terminal).' }),
    'api-url': Flags.string({
      description: `API origin to sign in to; saved in the profile. Default: TIKETI_API_URL, the profile's, or ${DEFAULT_API_URL}.`,
    }),
  };

  public async run(): Promise<LoginResult> {
    const { flags } = this;
    const credentials = await this.credentials({ apiUrl: flags['api-url'] });
    const email = flags.email ?? (await this.ask('email', () => input({ message: 'Email:' }, { output: process.stderr })));
    const password =
      flags.password ?? (await this.ask('password', () => passwordPrompt({ message: 'Password:', mask: '*' }, { output: process.stderr })));

    const client = this.sdk({ apiUrl: credentials.apiUrl, token: undefined });
    const session = await this.spin(`Signing in to ${credentials.apiUrl}`, () => client.auth.login({ email, password }));
    await this.profiles.set(credentials.profileName, {
      apiUrl: credentials.apiUrl,
      token: session.token,
      refreshToken: session.refreshToken,
      email: session.user.email,
      role: session.user.role,
      userId: session.user.id,
      savedAt: new Date().toISOString(),
    });

    this.log(
      `Signed in to ${credentials.apiUrl} as ${session.user.email} (${session.user.role}); saved in profile "${credentials.profileName}".`,
    );
    if (credentials.source === 'TIKETI_API_KEY' || credentials.source === 'TIKETI_TOKEN') {
      this.warn(`${credentials.source} is set and takes precedence over this profile's token.`);
    }
    return { profile: credentials.profileName, apiUrl: credentials.apiUrl, user: session.user, profilePath: this.profiles.path };
  }

  /** Prompts only on a terminal; scripts must pass the flag. */
  private async ask(flag: string, prompt: () => Promise<string>): Promise<string> {
    if (!process.stdin.isTTY) {
      throw new CliFailure('INVALID_ARGUMENTS', `Missing --${flag} (no terminal to ask on)`, EXIT_CODES.validation, `Pass --${flag}.`);
    }
    return prompt();
  }
}
