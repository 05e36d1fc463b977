// How any failure becomes a CLI answer: an exit code by kind, the problem `code`, and a next step.
// Scripts branch on the exit code or on `code` in the `--json` error object.
import {
  AuthenticationError,
  ConflictError,
  ConnectionError,
  NotFoundError,
  PermissionError,
  RateLimitError,
  TiketiError,
  ValidationError,
} from '@tiketi/sdk';

/** Exit codes, one per kind of failure (documented in cli/README.md). */
export const EXIT_CODES = {
  ok: 0,
  /** Anything else: a 5xx, an unexpected answer, a bug. */
  error: 1,
  /** The request or the command line was invalid (400/422, a bad flag, an unreadable file). */
  validation: 2,
  /** No credential, or a wrong password, expired token or revoked API key (401). */
  authentication: 3,
  /** Signed in but not allowed, e.g. an admin command with a user account (403). */
  permission: 4,
  /** The thing does not exist (404). */
  notFound: 5,
  /** Its state forbids the change (409, 410). */
  conflict: 6,
  /** No answer from the API: it is down, unreachable, or timed out. */
  connection: 7,
  /** Too many requests (429). */
  rateLimited: 8,
} as const;

/** The `--json` error object. */
export interface FailureJson {
  status: 'error';
  /** The API's problem code (e.g. INVALID_API_KEY), or a CLI code (INVALID_ARGUMENTS, INVALID_FILE ...). */
  code: string;
  message: string;
  exitCode: number;
  /** What to try next. */
  suggestion?: string;
  /** HTTP status when the API answered. */
  httpStatus?: number;
  /** Quote it when asking for help: it finds the server's log lines. */
  requestId?: string;
  /** Field errors of VALIDATION_FAILED (`path` is a JSON pointer). */
  errors?: { path: string; message: string }[];
}

/** A failure the CLI itself detects (bad file, missing credential), with its code and exit code. */
export class CliFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = EXIT_CODES.validation,
    readonly suggestion?: string,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}

/** Next steps for codes where a specific hint beats the generic one. */
const SUGGESTION_BY_CODE: Record<string, string> = {
  INVALID_CREDENTIALS: 'Check the email and password, then run `tiketi login` again.',
  INVALID_API_KEY: 'The API key is wrong or revoked: create one with `tiketi api-keys create --name <name>` or unset TIKETI_API_KEY.',
  INVALID_TOKEN: 'The token is invalid or expired: run `tiketi login` (or unset TIKETI_TOKEN).',
  INVALID_REFRESH_TOKEN: 'The sign-in has ended (signed out everywhere, or unused for too long): run `tiketi login`.',
  AUTHENTICATION_REQUIRED: 'Run `tiketi login`, or set TIKETI_API_KEY.',
  FORBIDDEN:
    'This needs an admin account (run `tiketi login` with an admin email), or an API key with the scope for it; managing keys and roles needs `tiketi login`, not a key.',
  LAST_ADMIN: 'Promote another user first: `tiketi users set-role <userId> admin`.',
  EVENT_HAS_SALES: 'The event has sold tickets; change its status instead (`tiketi events update`).',
  LAYOUT_NAME_TAKEN: 'Pick another `name` for the layout, or reuse the existing one (`tiketi seat-layouts list`).',
  INVALID_LAYOUT: 'Fix the part of the layout named in the message and retry.',
  KEYWORD_MAPPING_EXISTS: 'The mapping is already there: see `tiketi keyword-mappings list`.',
  RESERVATION_NOT_CANCELLABLE: 'Only pending or confirmed reservations can be cancelled: see `tiketi reservations get <id>`.',
  IDEMPOTENCY_KEY_IN_USE: 'The same request is still running; wait a moment and retry.',
};

/** Turns anything thrown by a command into the CLI's error answer. */
export function describeFailure(err: unknown, context: { apiUrl?: string; commandId?: string }): FailureJson {
  if (err instanceof CliFailure) {
    return { status: 'error', code: err.code, message: err.message, exitCode: err.exitCode, suggestion: err.suggestion };
  }
  if (err instanceof TiketiError) {
    const exitCode = exitCodeOf(err);
    const failure: FailureJson = {
      status: 'error',
      code: err.code,
      message: err.message,
      exitCode,
      suggestion: SUGGESTION_BY_CODE[err.code] ?? genericSuggestion(err, context),
    };
    if (err.status !== undefined) failure.httpStatus = err.status;
    if (err.requestId) failure.requestId = err.requestId;
    if (err instanceof ValidationError && err.errors.length > 0) {
      failure.errors = err.errors;
      // One note per field: a union mismatch reports every branch, its last entry sums them up.
      const byPath = new Map(err.errors.map((e) => [e.path, e.message]));
      failure.message = `${err.message} (${[...byPath].map(([path, message]) => `${path} ${message}`).join('; ')})`;
    }
    return failure;
  }
  // oclif's own parse errors (unknown flag, missing argument) carry `oclif.exit`.
  const oclif = (err as { oclif?: { exit?: number } } | null)?.oclif;
  const message = err instanceof Error ? err.message : String(err);
  if (oclif?.exit !== undefined) {
    return {
      status: 'error',
      code: 'INVALID_ARGUMENTS',
      message,
      exitCode: EXIT_CODES.validation,
      suggestion: context.commandId ? `See \`tiketi ${context.commandId.replaceAll(':', ' ')} --help\`.` : 'See `tiketi --help`.',
    };
  }
  return { status: 'error', code: 'CLI_ERROR', message, exitCode: EXIT_CODES.error, suggestion: 'Run again with DEBUG=* for details.' };
}

function exitCodeOf(err: TiketiError): number {
  if (err instanceof ValidationError) return EXIT_CODES.validation;
  if (err instanceof AuthenticationError) return EXIT_CODES.authentication;
  if (err instanceof PermissionError) return EXIT_CODES.permission;
  if (err instanceof NotFoundError) return EXIT_CODES.notFound;
  if (err instanceof ConflictError || err.status === 410) return EXIT_CODES.conflict;
  if (err instanceof ConnectionError) return EXIT_CODES.connection;
  if (err instanceof RateLimitError) return EXIT_CODES.rateLimited;
  return EXIT_CODES.error;
}

function genericSuggestion(err: TiketiError, context: { apiUrl?: string }): string | undefined {
  if (err instanceof ConnectionError) {
    const where = context.apiUrl ?? 'the API';
    return `Is the API running at ${where}? Start it with \`npm start\`, or point the CLI elsewhere with TIKETI_API_URL or \`tiketi login --api-url\`.`;
  }
  if (err instanceof ValidationError) return 'Fix the fields named in `errors` and retry.';
  if (err instanceof AuthenticationError) return 'Run `tiketi login`, or set TIKETI_API_KEY.';
  if (err instanceof PermissionError) return 'Use an admin account or an admin API key.';
  if (err instanceof NotFoundError) return 'Check the id (the `list` command of the topic shows them).';
  if (err instanceof ConflictError || err.status === 410) return 'The current state forbids this: look at it with `get` and retry.';
  if (err instanceof RateLimitError) {
    return err.retryAfter !== undefined ? `Wait ${Math.ceil(err.retryAfter)} s and retry.` : 'Wait a little and retry.';
  }
  return err.requestId ? `Retry later; if it persists, report request id ${err.requestId}.` : 'Retry later.';
}
