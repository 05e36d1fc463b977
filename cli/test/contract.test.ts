// The committed CLI contract must match the CLI that was built: a removed flag or a renamed
// command breaks scripts, so it has to be a visible, deliberate change to command-snapshot.json.
import { describe, expect, it } from 'vitest';
import { committedSnapshot, currentSnapshot } from '../scripts/command-snapshot.js';
import { runCli } from './run-cli.js';

describe('CLI contract', () => {
  it('matches cli/command-snapshot.json (update with `npm run snapshot -w cli`)', () => {
    expect(currentSnapshot()).toEqual(committedSnapshot());
  });

  it('offers --json and --profile on every command', () => {
    for (const command of currentSnapshot()) {
      expect(command.flags, command.command).toEqual(expect.arrayContaining(['json', 'profile']));
    }
  });

  it('lists every topic with its description in the help', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const topic of [
      'api-keys',
      'users',
      'events',
      'seat-layouts',
      'ticket-types',
      'seats',
      'reservations',
      'news',
      'keyword-mappings',
    ])
      expect(help.stdout).toMatch(new RegExp(`${topic}\\s+\\S`));
  });
});
