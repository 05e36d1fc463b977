// The base of every `tiketi` command (after sf-plugins-core's SfCommand): `--json` and `--profile`
// on every command, credentials from env or the profile, tables and spinners only for humans, and
// every failure mapped to an exit code with the problem `code` and a next step.
import { Command, Flags, ux, type Interfaces } from '@oclif/core';
import { Tiketi } from '@tiketi/sdk';
import Table from 'cli-table3';
import { CliFailure, describeFailure, EXIT_CODES, type FailureJson } from './failures.js';
import { ProfileStore, type Profile } from './profiles.js';

export const DEFAULT_API_URL = 'http://localhost:3000';

export type TiketiFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof TiketiCommand)['baseFlags'] & T['flags']>;
export type TiketiArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/** Where the credential of a call came from (whoami shows it). */
export type CredentialSource = 'TIKETI_API_KEY' | 'TIKETI_TOKEN' | 'profile' | 'none';

export interface Credentials {
  apiUrl: string;
  token: string | undefined;
  /** The profile's refresh token, when the token comes from the profile. */
  refreshToken?: string | undefined;
  source: CredentialSource;
  profileName: string;
  profile: Profile | undefined;
}

/** A column of a human table: the header and how to show the row's value. */
export interface Column<R> {
  header: string;
  get: (row: R) => unknown;
}

export abstract class TiketiCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    profile: Flags.string({
      description: 'Saved sign-in to use (see `tiketi login`).',
      default: 'default',
      env: 'TIKETI_PROFILE',
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: TiketiFlags<T>;
  protected args!: TiketiArgs<T>;
  /** Set once credentials are resolved, so a connection error can name the URL it tried. */
  private apiUrlInUse: string | undefined;

  public override async init(): Promise<void> {
    await super.init();
    const ctor = this.ctor as typeof TiketiCommand;
    const { args, flags } = await this.parse({
      flags: ctor.flags,
      baseFlags: ctor.baseFlags,
      enableJsonFlag: ctor.enableJsonFlag,
      args: ctor.args,
      strict: ctor.strict,
    });
    this.flags = flags as TiketiFlags<T>;
    this.args = args as TiketiArgs<T>;
  }

  protected get profiles(): ProfileStore {
    return new ProfileStore(this.config.configDir);
  }

  /** Env wins over the profile: TIKETI_API_URL, then TIKETI_API_KEY or TIKETI_TOKEN. */
  protected async credentials(overrides: { apiUrl?: string } = {}): Promise<Credentials> {
    const profileName = (this.flags as { profile: string }).profile;
    const profile = await this.profiles.get(profileName);
    const env = process.env;
    const apiUrl = overrides.apiUrl ?? nonEmpty(env.TIKETI_API_URL) ?? profile?.apiUrl ?? DEFAULT_API_URL;
    let token: string | undefined;
    let source: CredentialSource = 'none';
    if (nonEmpty(env.TIKETI_API_KEY)) [token, source] = [env.TIKETI_API_KEY, 'TIKETI_API_KEY'];
    else if (nonEmpty(env.TIKETI_TOKEN)) [token, source] = [env.TIKETI_TOKEN, 'TIKETI_TOKEN'];
    else if (profile?.token) [token, source] = [profile.token, 'profile'];
    this.apiUrlInUse = apiUrl;
    const refreshToken = source === 'profile' ? profile?.refreshToken : undefined;
    return { apiUrl, token, refreshToken, source, profileName, profile };
  }

  /**
   * An SDK client for `credentials` (no token: only public calls will work). With the profile's
   * refresh token, an expired access token is renewed on the way and the new pair saved back.
   */
  protected sdk(credentials: Pick<Credentials, 'apiUrl' | 'token'> & Partial<Pick<Credentials, 'refreshToken' | 'profileName'>>): Tiketi {
    const { refreshToken, profileName } = credentials;
    return new Tiketi({
      baseUrl: credentials.apiUrl,
      token: credentials.token,
      ...(refreshToken && profileName
        ? {
            refreshToken,
            onSessionRefreshed: async (session) => {
              await this.profiles.update(profileName, (p) => ({
                ...p,
                token: session.token,
                refreshToken: session.refreshToken,
                role: session.user.role,
                savedAt: new Date().toISOString(),
              }));
            },
          }
        : {}),
      userAgent: `tiketi-cli/${this.config.version} (${this.config.platform}-${this.config.arch}; node-${process.version})`,
      timeoutMs: 30_000,
    });
  }

  /** A client that carries a credential; without one the command stops before calling the API. */
  protected async signedInClient(): Promise<{ client: Tiketi; credentials: Credentials }> {
    const credentials = await this.credentials();
    if (!credentials.token) {
      throw new CliFailure(
        'AUTHENTICATION_REQUIRED',
        `Not signed in (profile "${credentials.profileName}")`,
        EXIT_CODES.authentication,
        'Run `tiketi login`, or set TIKETI_API_KEY.',
      );
    }
    return { client: this.sdk(credentials), credentials };
  }

  /** A client for public reads: signed in if a credential is there, anonymous otherwise. */
  protected async anyClient(): Promise<Tiketi> {
    return this.sdk(await this.credentials());
  }

  /** Shows a spinner on stderr while `work` runs (humans only, on a terminal). */
  protected async spin<R>(label: string, work: () => Promise<R>): Promise<R> {
    if (this.jsonEnabled() || !process.stderr.isTTY) return work();
    ux.action.start(label);
    try {
      const result = await work();
      ux.action.stop();
      return result;
    } catch (err) {
      ux.action.stop(ux.colorize('red', 'failed'));
      throw err;
    }
  }

  /** Prints rows as a table (humans only). */
  protected table<R>(rows: readonly R[], columns: Column<R>[], empty = 'Nothing to show.'): void {
    if (this.jsonEnabled()) return;
    if (rows.length === 0) {
      this.log(empty);
      return;
    }
    const table = new Table({ head: columns.map((c) => c.header), ...tableStyle() });
    for (const row of rows) table.push(columns.map((c) => show(c.get(row))));
    this.log(table.toString());
  }

  /** Prints one record as two columns, field and value (humans only). */
  protected record(fields: Record<string, unknown>): void {
    if (this.jsonEnabled()) return;
    const table = new Table(tableStyle());
    for (const [key, value] of Object.entries(fields)) table.push({ [key]: show(value) });
    this.log(table.toString());
  }

  /**
   * Prints an API object for humans: its plain fields as a two-column table, then each list of
   * objects in it (ticket types, sections, items) as a table of its own.
   */
  protected details(value: object): void {
    if (this.jsonEnabled()) return;
    const entries = Object.entries(value);
    const isObjectList = (v: unknown): v is Record<string, unknown>[] =>
      Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x));
    this.record(Object.fromEntries(entries.filter(([, v]) => !isObjectList(v))));
    for (const [key, list] of entries) {
      if (!isObjectList(list)) continue;
      const keys = [...new Set(list.flatMap((item) => Object.keys(item)))];
      this.log(`\n${key}:`);
      this.table(
        list,
        keys.map((k) => ({ header: k, get: (row: Record<string, unknown>) => row[k] })),
      );
    }
  }

  /** The error answer: JSON on stdout with `--json`, otherwise oclif's message and hint on stderr. */
  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    // `this.exit()` and oclif's own exits pass through untouched.
    if ((err as { code?: unknown }).code === 'EEXIT') throw err;
    const failure: FailureJson = describeFailure(err, { apiUrl: this.apiUrlInUse, commandId: this.id });
    process.exitCode = failure.exitCode;
    if (this.jsonEnabled()) {
      this.logJson(failure);
      return undefined;
    }
    const suggestions = [failure.suggestion, failure.requestId ? `request id: ${failure.requestId}` : undefined].filter(
      (s): s is string => !!s,
    );
    return this.error(failure.message, { exit: failure.exitCode, code: failure.code, suggestions }); // oclif prints "Code:" and "Try this:"
  }
}

/** Compact tables (no line between rows), coloured only on a terminal that wants colour. */
function tableStyle() {
  const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  return {
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: colour ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] },
  };
}

const nonEmpty = (value: string | undefined) => (value && value.trim() !== '' ? value : undefined);

/** How a value looks in a table cell. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
