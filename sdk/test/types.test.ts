// Runs the compile-time tests: the `@ts-expect-error` lines in types/assertions.ts must all be
// errors, and a sample with a wrong body field must fail to compile.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const sdkDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(sdkDir, '..', 'node_modules', 'typescript', 'bin', 'tsc');
const run = (args: string[]) =>
  promisify(execFile)(process.execPath, [tsc, ...args], { cwd: sdkDir }).then(
    () => ({ ok: true, output: '' }),
    (err: { stdout?: string }) => ({ ok: false, output: err.stdout ?? String(err) }),
  );

// tsc runs take seconds alone and much longer on a busy two-core machine.
describe('types', { timeout: 180_000 }, () => {
  it('accepts correct calls and refuses every @ts-expect-error line', async () => {
    const result = await run(['-p', 'tsconfig.types.json']);
    expect(result.output).toBe('');
    expect(result.ok).toBe(true);
  });

  it('fails to compile a call with a wrong body field (the types are not `any`)', async () => {
    const dir = await mkdtemp(join(sdkDir, 'test', 'types', 'tmp-'));
    try {
      await writeFile(
        join(dir, 'wrong.ts'),
        `import { Tiketi } from '../../../src/index.js';\nexport const p = new Tiketi({ baseUrl: 'x' }).auth.login({ email: 'a', pasword: 'b' });\n`,
      );
      const tsconfig = { extends: '../../../tsconfig.types.json', include: ['../../../src', 'wrong.ts'] };
      await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
      const result = await run(['-p', join(dir, 'tsconfig.json')]);
      expect(result.ok).toBe(false);
      expect(result.output).toMatch(/wrong\.ts.*'pasword'/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
