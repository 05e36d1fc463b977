// The `--json` result of every command: what `run()` returns and oclif prints. Scripts rely on these
// shapes; errors use FailureJson (failures.ts). Keep in step with cli/README.md.
import type { ApiKey, CreatedApiKey, QueueSettings, User } from '@tiketi/sdk';
import type { MapSeat } from './api.js';
import type { CredentialSource } from './base-command.js';
import type { Counts, SectionSummary } from './seat-map.js';

export interface LoginResult {
  profile: string;
  apiUrl: string;
  user: User;
  /** Where the token was saved (0600). */
  profilePath: string;
}

export interface LogoutResult {
  profile: string;
  /** False when the profile had no saved token. */
  loggedOut: boolean;
  /** Whether the server revoked the sign-in (or, with --everywhere, every session of the account). */
  revokedOnServer: boolean;
}

export interface WhoamiResult {
  profile: string;
  apiUrl: string;
  credential: CredentialSource;
  user: User;
}

export type ApiKeyCreateResult = CreatedApiKey;

export interface ApiKeyListResult {
  data: ApiKey[];
  nextCursor: string | null;
}

export type ApiKeyRevokeResult = ApiKey;

export interface UserListResult {
  data: User[];
  nextCursor: string | null;
}

export type UserSetRoleResult = User;

/** Every `list` command: one page (or all of them with --all, then nextCursor is null). */
export interface ListResult<T> {
  data: T[];
  nextCursor: string | null;
}

/** Every `delete` command. */
export interface DeleteResult {
  id: string;
  deleted: true;
}

/** `seats map`: the counts per status overall and per section, and every seat drawn. */
export interface SeatMapResult {
  eventId: string;
  version: number;
  counts: Counts;
  sections: SectionSummary[];
  seats: MapSeat[];
}

/** `queue watch`: how many changes it showed and the last reading. */
export interface QueueWatchResult {
  eventId: string;
  updates: number;
  last: QueueSettings;
}
