// The `--json` result of every command: what `run()` returns and oclif prints. Scripts rely on these
// shapes; errors use FailureJson (failures.ts). Keep in step with cli/schemas/README.md.
import type { ApiKey, CreatedApiKey, User } from '@tiketi/sdk';
import type { CredentialSource } from './base-command.js';

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
