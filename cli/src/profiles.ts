// Saved sign-ins, one per profile, in `<configDir>/profiles.json` (configDir follows
// XDG_CONFIG_HOME). The file holds bearer tokens, so it is written 0600 in a 0700 directory.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Profile {
  /** API origin this profile signs in to. */
  apiUrl?: string;
  /** User access token (JWT) from `tiketi login`; short-lived, renewed with `refreshToken`. */
  token?: string;
  /** Single-use refresh token; every renewal saves the next one here. */
  refreshToken?: string;
  email?: string;
  role?: string;
  userId?: string;
  /** When the token was saved (ISO 8601). */
  savedAt?: string;
}

interface ProfilesFile {
  profiles: Record<string, Profile>;
}

export class ProfileStore {
  readonly path: string;

  constructor(readonly dir: string) {
    this.path = join(dir, 'profiles.json');
  }

  async get(name: string): Promise<Profile | undefined> {
    return (await this.readAll()).profiles[name];
  }

  async set(name: string, profile: Profile): Promise<void> {
    const all = await this.readAll();
    all.profiles[name] = profile;
    await this.writeAll(all);
  }

  /** Applies `change` to the profile and saves it; returns the profile as it was. */
  async update(name: string, change: (profile: Profile) => Profile): Promise<Profile | undefined> {
    const all = await this.readAll();
    const before = all.profiles[name];
    all.profiles[name] = change({ ...before });
    await this.writeAll(all);
    return before;
  }

  private async readAll(): Promise<ProfilesFile> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
      throw err;
    }
    const parsed = JSON.parse(text) as Partial<ProfilesFile>;
    return { profiles: parsed.profiles ?? {} };
  }

  private async writeAll(all: ProfilesFile): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Write-then-rename so a crash never leaves half a file; mode set at creation, so the token
    // is never readable by others, even for a moment.
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    await chmod(tmp, 0o600); // in case a umask or an existing file kept other bits
    await rename(tmp, this.path);
  }
}
