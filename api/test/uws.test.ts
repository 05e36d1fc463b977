// Which uWebSockets.js build the realtime channel should run, from Node's ABI and the C library, and
// that the one expected here is the one that loaded (a missing or broken native build fails here).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { uwsChoice } from '../src/realtime/server.js';
import { currentRuntime, expectedBuild, loadUws, type Runtime } from '../src/realtime/uws.js';

const linux = (abi: string, glibc: string | undefined): Runtime => ({ platform: 'linux', arch: 'x64', abi, glibc });

describe('the expected uWebSockets.js build', () => {
  it.each([
    ['Node 20, glibc 2.36 (Debian 12)', linux('115', '2.36'), 'legacy'],
    ['Node 20, glibc 2.41 (Debian 13)', linux('115', '2.41'), 'current'],
    ['Node 22, glibc 2.36', linux('127', '2.36'), 'shim'],
    ['Node 22, glibc 2.38', linux('127', '2.38'), 'current'],
    ['Node 24, glibc 2.36', linux('137', '2.36'), 'shim'],
    ['Node 24, glibc 2.41 (node:24-trixie-slim)', linux('137', '2.41'), 'current'],
    ['Node 24, glibc 3.0', linux('137', '3.0'), 'current'],
    ['Node 24, musl (Alpine)', linux('137', undefined), 'shim'],
    ['Node 20, musl (Alpine)', linux('115', undefined), 'shim'],
    ['Node 26 (no build yet)', linux('147', '2.41'), 'shim'],
    ['Node 24 on macOS', { platform: 'darwin', arch: 'arm64', abi: '137', glibc: undefined }, 'current'],
  ] as const)('%s: %s', (_label, rt, build) => {
    expect(expectedBuild(rt).build).toBe(build);
  });

  it('is the shim when UWS_USE_FALLBACK is set, and then nothing native is loaded', () => {
    expect(loadUws(currentRuntime(), { UWS_USE_FALLBACK: 'true' })).toMatchObject({ loaded: 'shim', expected: 'shim', uws: undefined });
  });
});

describe('on this machine', () => {
  it('the build that should load did load (native wherever this Node and C library have one)', () => {
    const rt = currentRuntime();
    const expected = expectedBuild(rt);
    console.log(
      `Node ${process.version} (ABI ${rt.abi}), glibc ${rt.glibc ?? 'none'}: expected ${expected.build}, loaded ${uwsChoice.loaded}`,
    );
    expect({ loaded: uwsChoice.loaded, error: uwsChoice.error }).toEqual({ loaded: expected.build, error: undefined });
    if (expected.build !== 'shim') expect(uwsChoice.uws?.App).toBeTypeOf('function');
  });

  it('reads the glibc version the process runs with', () => {
    const ldd = spawnSync('getconf', ['GNU_LIBC_VERSION'], { encoding: 'utf8' });
    if (ldd.status !== 0) return expect(currentRuntime().glibc).toBeUndefined();
    expect(`glibc ${currentRuntime().glibc}`).toBe(ldd.stdout.trim());
  });
});
