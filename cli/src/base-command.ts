// The base of every `tiketi` command (after sf-plugins-core's SfCommand): `--json`, `--profile` and
// `--timeout` on every command, credentials from env or the profile (a profile's token only ever
// goes to the server it was saved for), tables and spinners only for humans, one JSON envelope for
// success and failure with the warnings inside, and every failure mapped to an exit code with the
// problem `code` and a next step, printed once.
import { confirm } from '@inquirer/prompts';
import { Command, Flags, ux, type Interfaces } from '@oclif/core';
import { Tiketi } from '@tiketi/sdk';
import { CliFailure, describeFailure, EXIT_CODES, type FailureJson } from './failures.js';
import { ProfileStore, type Profile } from './profiles.js';
import { pickColumns, renderTable, type TableMode } from './table.js';
import { normaliseApiUrl, sameOrigin } from './urls.js';
import { waitingFetch, type Wait } from './waiting-fetch.js';

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

/** The `--json` answer of every command: the result (or the error) with the warnings beside it. */
export type SuccessEnvelope<R> = { status: 'ok'; result: R; warnings: string[] };
export type FailureEnvelope = FailureJson & { warnings: string[] };

/** --columns, --no-header and --csv, for every command that prints a table. */
export const tableFlags = {
  columns: Flags.string({ description: 'Only these columns, comma-separated, in this order (by header, any case).' }),
  'no-header': Flags.boolean({ description: 'Leave out the header row.', default: false }),
  csv: Flags.boolean({ description: 'Print CSV instead of a table.', default: false, exclusive: ['json'] }),
};

/** --yes for every destructive command. */
export const confirmFlags = {
  yes: Flags.boolean({ char: 'y', description: 'Do it without asking (needed when not on a terminal).', default: false }),
};

export abstract class TiketiCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    profile: Flags.string({
      description: 'Saved sign-in to use (see `tiketi login`).',
      default: 'default',
      env: 'TIKETI_PROFILE',
      helpGroup: 'GLOBAL',
    }),
    timeout: Flags.integer({
      description: 'Give up after this many seconds, waits for a rate limit included (exit 8 or 7).',
      default: 60,
      min: 1,
      env: 'TIKETI_TIMEOUT',
      helpGroup: 'GLOBAL',
    }),
  };

  protected flags!: TiketiFlags<T>;
  protected args!: TiketiArgs<T>;
  /** Warnings of this run: on stderr for humans, inside the envelope with --json. */
  protected readonly warnings: string[] = [];
  /** Set once credentials are resolved, so a connection error can name the URL it tried. */
  private apiUrlInUse: string | undefined;
  private readonly startedAt = Date.now();
  private spinning = false;

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

  private get baseOptions(): { profile: string; timeout: number } {
    return this.flags as unknown as { profile: string; timeout: number };
  }

  /**
   * Env wins over the profile: TIKETI_API_URL, then TIKETI_API_KEY or TIKETI_TOKEN. A token saved in
   * a profile is sent only to the server it was saved for: pointed elsewhere, the command refuses.
   */
  protected async credentials(overrides: { apiUrl?: string; signingIn?: boolean } = {}): Promise<Credentials> {
    const profileName = this.baseOptions.profile;
    const profile = await this.profiles.get(profileName);
    const env = process.env;
    const [raw, from] = overrides.apiUrl
      ? [overrides.apiUrl, '--api-url']
      : nonEmpty(env.TIKETI_API_URL)
        ? [env.TIKETI_API_URL!, 'TIKETI_API_URL']
        : profile?.apiUrl
          ? [profile.apiUrl, `the API URL of profile "${profileName}"`]
          : [DEFAULT_API_URL, 'the default API URL'];
    const apiUrl = normaliseApiUrl(raw, from);
    this.apiUrlInUse = apiUrl;
    let token: string | undefined;
    let source: CredentialSource = 'none';
    if (nonEmpty(env.TIKETI_API_KEY)) [token, source] = [env.TIKETI_API_KEY, 'TIKETI_API_KEY'];
    else if (nonEmpty(env.TIKETI_TOKEN)) [token, source] = [env.TIKETI_TOKEN, 'TIKETI_TOKEN'];
    else if (profile?.token) [token, source] = [profile.token, 'profile'];
    if (source === 'profile' && !overrides.signingIn && profile?.apiUrl && !sameOrigin(profile.apiUrl, apiUrl)) {
      throw new CliFailure(
        'TOKEN_HOST_MISMATCH',
        `Profile "${profileName}" signed in to ${profile.apiUrl}; its token is not sent to ${apiUrl}`,
        EXIT_CODES.authentication,
        `Sign in there with \`tiketi login --api-url ${apiUrl} --profile <name>\`, or unset ${from === 'TIKETI_API_URL' ? 'TIKETI_API_URL' : '--api-url'}.`,
      );
    }
    const refreshToken = source === 'profile' ? profile?.refreshToken : undefined;
    return { apiUrl, token, refreshToken, source, profileName, profile };
  }

  /**
   * An SDK client for `credentials` (no token: only public calls will work). With the profile's
   * refresh token, an expired access token is renewed on the way and the new pair saved back.
   * Retries are the CLI's (waitingFetch): bounded by --timeout and announced, never silent.
   */
  protected sdk(credentials: Pick<Credentials, 'apiUrl' | 'token'> & Partial<Pick<Credentials, 'refreshToken' | 'profileName'>>): Tiketi {
    const { refreshToken, profileName } = credentials;
    const timeoutMs = this.baseOptions.timeout * 1000;
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
      maxRetries: 0,
      // The SDK's own cut-off sits just past the deadline: waitingFetch gives up first, with the reason.
      timeoutMs: timeoutMs + 2000,
      fetch: waitingFetch({ deadline: this.startedAt + timeoutMs, onWait: (wait) => this.announceWait(wait) }),
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

  /** Says why the command waits: the spinner's status, else a line on stderr, and a warning in --json. */
  private announceWait(wait: Wait): void {
    const text = `Waiting ${Math.ceil(wait.seconds)} s: ${wait.reason}`;
    if (this.jsonEnabled()) this.warnings.push(text);
    else if (this.spinning) ux.action.status = text;
    else this.logToStderr(text);
  }

  /** Shows a spinner on stderr while `work` runs (humans only, on a terminal). */
  protected async spin<R>(label: string, work: () => Promise<R>): Promise<R> {
    if (this.jsonEnabled() || !process.stderr.isTTY) return work();
    ux.action.start(label);
    this.spinning = true;
    try {
      const result = await work();
      ux.action.stop();
      return result;
    } catch (err) {
      ux.action.stop(ux.colorize('red', 'failed'));
      throw err;
    } finally {
      this.spinning = false;
    }
  }

  /** A warning: stderr for humans, in the envelope's `warnings` with --json. */
  public override warn(input: string | Error): string | Error {
    const text = input instanceof Error ? input.message : input;
    if (this.jsonEnabled()) this.warnings.push(text);
    else this.logToStderr(`Warning: ${text}`);
    return input;
  }

  /** A hint about what to do next ("More: --cursor …"): stderr, so stdout keeps only the data. */
  protected hint(text: string): void {
    if (!this.jsonEnabled()) this.logToStderr(text);
  }

  /**
   * Asks before a destructive change. --yes skips the question; without a terminal to ask on, the
   * command refuses rather than guess (scripts pass --yes).
   */
  protected async confirmDestructive(what: string): Promise<void> {
    if ((this.flags as { yes?: boolean }).yes) return;
    if (!process.stdin.isTTY || !process.stderr.isTTY) {
      throw new CliFailure(
        'CONFIRMATION_REQUIRED',
        `Not confirmed: ${what} (no terminal to ask on)`,
        EXIT_CODES.validation,
        'Pass --yes to confirm from a script.',
      );
    }
    const yes = await confirm({ message: `${what}?`, default: false }, { output: process.stderr });
    if (!yes) throw new CliFailure('CANCELLED', 'Cancelled; nothing was changed', EXIT_CODES.error);
  }

  /** How tables print: --csv, plain tab-separated when stdout is not a terminal, else drawn to fit. */
  private tableMode(): { mode: TableMode; header: boolean } {
    const f = this.flags as { csv?: boolean; 'no-header'?: boolean };
    const mode: TableMode = f.csv ? 'csv' : process.stdout.isTTY ? 'box' : 'plain';
    return { mode, header: !f['no-header'] };
  }

  /** Prints rows as a table (humans only), honouring --columns, --no-header and --csv. */
  protected table<R>(rows: readonly R[], columns: Column<R>[], empty = 'Nothing to show.'): void {
    if (this.jsonEnabled()) return;
    const picked = pickColumns(columns, (this.flags as { columns?: string }).columns);
    const { mode, header } = this.tableMode();
    if (rows.length === 0 && mode !== 'csv') {
      this.logToStderr(empty);
      return;
    }
    this.log(
      renderTable(
        picked.map((c) => c.header),
        rows.map((row) => picked.map((c) => show(c.get(row)))),
        { mode, header, width: process.stdout.columns ?? 120, colour: colourWanted() },
      ),
    );
  }

  /** Prints one record as two columns, field and value (humans only). */
  protected record(fields: Record<string, unknown>): void {
    if (this.jsonEnabled()) return;
    const { mode } = this.tableMode();
    this.log(
      renderTable(
        ['field', 'value'],
        Object.entries(fields).map(([k, v]) => [k, show(v)]),
        { mode, header: false, width: process.stdout.columns ?? 120, colour: colourWanted() },
      ),
    );
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
      const { mode } = this.tableMode();
      this.log(
        renderTable(
          keys,
          list.map((row) => keys.map((k) => show(row[k]))),
          { mode, header: true, width: process.stdout.columns ?? 120, colour: colourWanted() },
        ),
      );
    }
  }

  protected override toSuccessJson<R>(result: R): SuccessEnvelope<R> {
    return { status: 'ok', result, warnings: this.warnings };
  }

  /** The error answer, printed once: the envelope on stdout with --json, else one block on stderr. */
  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    // `this.exit()` and oclif's own exits pass through untouched.
    if ((err as { code?: unknown }).code === 'EEXIT') throw err;
    const failure: FailureJson = describeFailure(err, { apiUrl: this.apiUrlInUse, commandId: this.id });
    process.exitCode = failure.exitCode;
    if (this.jsonEnabled()) {
      const envelope: FailureEnvelope = { ...failure, warnings: this.warnings };
      this.logJson(envelope);
      return undefined;
    }
    const lines = [`Error: ${failure.message} (${failure.code})`];
    if (failure.suggestion) lines.push(`Try this: ${failure.suggestion}`);
    if (failure.requestId) lines.push(`Request id: ${failure.requestId}`);
    process.stderr.write(`${lines.join('\n')}\n`);
    return undefined;
  }
}

const colourWanted = () => Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

const nonEmpty = (value: string | undefined) => (value && value.trim() !== '' ? value : undefined);

/** How a value looks in a table cell. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
