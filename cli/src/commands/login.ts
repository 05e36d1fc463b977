import { input, password as passwordPrompt } from '@inquirer/prompts';
import { Flags } from '@oclif/core';
import { DEFAULT_API_URL, TiketiCommand } from '../base-command.js';
import { CliFailure, EXIT_CODES } from '../failures.js';
import type { LoginResult } from '../results.js';

export default class Login extends TiketiCommand<typeof Login> {
  static override summary = 'Sign in with email and password and save the token in a profile.';
  static override description = `The password comes from --password-stdin (a pipe), TIKETI_PASSWORD, or a prompt on a terminal; --password still works but lands in \`ps\` and shell history.
The access token and its refresh token are saved in <configDir>/profiles.json (mode 0600) under --profile, bound to the API URL: the token is never sent to another server. Commands renew the short-lived access token by themselves; TIKETI_API_KEY and TIKETI_TOKEN, when set, take precedence over it.`;
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    'printf %s "$PASSWORD" | <%= config.bin %> <%= command.id %> --email admin@tiketi.local --password-stdin',
    'TIKETI_PASSWORD=... <%= config.bin %> <%= command.id %> --email admin@tiketi.local --api-url https://api.example.com',
    '<%= config.bin %> <%= command.id %> --profile staging --api-url https://api.staging.example.com',
  ];
  static override flags = {
    email: Flags.string({ char: 'e', description: 'Account email.', env: 'TIKETI_EMAIL' }),
    'password-stdin': Flags.boolean({ description: 'Read the password from standard input (one line).', default: false }),
    password: Flags.string({
      char: 'p',
      description: 'Account password (visible to `ps`; prefer --password-stdin or TIKETI_PASSWORD).',
      exclusive: ['password-stdin'],
    }),
    'api-url': Flags.string({
      description: `API origin to sign in to; saved in the profile. Default: TIKETI_API_URL, the profile's, or ${DEFAULT_API_URL}.`,
    }),
  };

  public async run(): Promise<LoginResult> {
    const { flags } = this;
    // Signing in somewhere else is how a profile moves: the old token is not sent anywhere.
    const credentials = await this.credentials({ apiUrl: flags['api-url'], signingIn: true });
    const email = flags.email ?? (await this.ask('email', () => input({ message: 'Email:' }, { output: process.stderr })));
    const password = await this.password();

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

  /** --password-stdin, then --password, then TIKETI_PASSWORD, then a prompt on a terminal. */
  private async password(): Promise<string> {
    if (this.flags['password-stdin']) {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      const text = Buffer.concat(chunks)
        .toString('utf8')
        .replace(/\r?\n$/, '');
      if (text === '')
        throw new CliFailure(
          'INVALID_ARGUMENTS',
          'No password on standard input',
          EXIT_CODES.validation,
          'Pipe it in: printf %s "$PASSWORD" | tiketi login --password-stdin ...',
        );
      return text;
    }
    if (this.flags.password !== undefined) return this.flags.password;
    const env = process.env.TIKETI_PASSWORD;
    if (env !== undefined && env !== '') return env;
    return this.ask('password', () => passwordPrompt({ message: 'Password:', mask: '*' }, { output: process.stderr }));
  }

  /** Prompts only on a terminal; scripts must pass the flag. */
  private async ask(flag: string, prompt: () => Promise<string>): Promise<string> {
    if (!process.stdin.isTTY) {
      const more = flag === 'password' ? ' (or --password-stdin, or TIKETI_PASSWORD)' : '';
      throw new CliFailure(
        'INVALID_ARGUMENTS',
        `Missing --${flag} (no terminal to ask on)`,
        EXIT_CODES.validation,
        `Pass --${flag}${more}.`,
      );
    }
    return prompt();
  }
}
