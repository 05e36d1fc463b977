// The package as it ships: built with tsup, imported from ESM and required from CJS by plain
// `node`, type-checked as a NodeNext consumer, and free of Node-only imports (browsers load it).
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const sdkDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(sdkDir, 'test', 'package');
const dist = join(sdkDir, 'dist');

async function newestSource(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? await newestSource(path) : (await stat(path)).mtimeMs);
  }
  return newest;
}

beforeAll(async () => {
  // `npm test` builds first; rebuild here only when dist is missing or older than src (CLI tests
  // read the same dist, so we do not wipe a fresh one under them).
  const built = await stat(join(dist, 'index.cjs')).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  if (built < (await newestSource(join(sdkDir, 'src')))) await exec('npm', ['run', 'build'], { cwd: sdkDir });
}, 120_000);

// tsc runs take seconds alone and much longer on a busy two-core machine.
describe('built package', { timeout: 180_000 }, () => {
  it('is importable from ESM', async () => {
    const { stdout } = await exec(process.execPath, [join(fixtures, 'esm.mjs')], { cwd: fixtures });
    expect(JSON.parse(stdout)).toEqual({ format: 'esm', conflict: true, base: true, code: 'SEAT_UNAVAILABLE', pages: true });
  });

  it('is requirable from CJS', async () => {
    const { stdout } = await exec(process.execPath, [join(fixtures, 'cjs.cjs')], { cwd: fixtures });
    expect(JSON.parse(stdout)).toEqual({ format: 'cjs', conflict: true, base: true, code: 'SEAT_UNAVAILABLE', pages: true });
  });

  it('ships types for both import and require', async () => {
    const tsc = join(sdkDir, '..', 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await exec(process.execPath, [tsc, '-p', join(fixtures, 'tsconfig.json')]).then(
      () => '',
      (err: { stdout: string }) => err.stdout,
    );
    expect(result).toBe('');
  });

  it('has no Node-only imports, so browsers can load it', async () => {
    for (const file of ['index.js', 'index.cjs']) {
      const code = await readFile(join(dist, file), 'utf8');
      const imports = [...code.matchAll(/(?:from\s+|require\()\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
      expect(imports).toEqual(['openapi-fetch']);
      expect(code).not.toMatch(/\bprocess\.|\bBuffer\b|__dirname|node:/);
    }
    const pkg = JSON.parse(await readFile(join(sdkDir, 'package.json'), 'utf8'));
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.exports['.'].import.default).toBe('./dist/index.js');
    expect(pkg.exports['.'].require.default).toBe('./dist/index.cjs');
  });
});
