// The CLI contract: commands, their flags and args, taken from the oclif manifest that
// `npm run build -w cli` writes. `--write` updates cli/command-snapshot.json; without it the
// script fails when the CLI and the committed snapshot differ (cli/test/contract.test.ts too).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';

export interface CommandSnapshot {
  command: string;
  args: string[];
  flags: string[];
  flagChars: string[];
  requiredFlags: string[];
}

interface Manifest {
  commands: Record<
    string,
    {
      id: string;
      args: Record<string, { name: string }>;
      flags: Record<string, { name: string; char?: string; required?: boolean }>;
    }
  >;
}

export const MANIFEST_PATH = fileURLToPath(new URL('../oclif.manifest.json', import.meta.url));
export const SNAPSHOT_PATH = fileURLToPath(new URL('../command-snapshot.json', import.meta.url));

export function snapshotFromManifest(manifest: Manifest): CommandSnapshot[] {
  const sorted = (values: string[]) => [...values].sort();
  return Object.values(manifest.commands)
    .map((c) => {
      const flags = Object.values(c.flags);
      return {
        command: c.id,
        // Arg order is part of the contract, so it is kept as declared.
        args: Object.values(c.args).map((a) => a.name),
        flags: sorted(flags.map((f) => f.name)),
        flagChars: sorted(flags.flatMap((f) => (f.char ? [f.char] : []))),
        requiredFlags: sorted(flags.filter((f) => f.required).map((f) => f.name)),
      };
    })
    .sort((a, b) => a.command.localeCompare(b.command));
}

export const currentSnapshot = () => snapshotFromManifest(JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as Manifest);
export const committedSnapshot = () => JSON.parse(readFileSync(SNAPSHOT_PATH, 'utf8')) as CommandSnapshot[];
/** The snapshot as the repository's prettier would write it, so `npm run lint` stays clean. */
export async function render(snapshot: CommandSnapshot[]): Promise<string> {
  const options = (await resolveConfig(SNAPSHOT_PATH)) ?? {};
  return format(JSON.stringify(snapshot), { ...options, filepath: SNAPSHOT_PATH });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const current = currentSnapshot();
  if (process.argv.includes('--write')) {
    writeFileSync(SNAPSHOT_PATH, await render(current));
    console.log(`wrote ${SNAPSHOT_PATH}`);
  } else if (JSON.stringify(current) !== JSON.stringify(committedSnapshot())) {
    console.error('cli/command-snapshot.json is out of date: if the change is intended, run `npm run snapshot -w cli` and commit it.');
    process.exit(1);
  } else {
    console.log('command snapshot up to date');
  }
}
