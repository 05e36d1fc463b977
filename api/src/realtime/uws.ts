// Which uWebSockets.js build the realtime channel runs on. Two native builds are installed:
//   current: @btc-vision/uwebsockets.js 20.57 (alias `uWebSockets.js-current`), binaries for Node 20,
//            22, 24 and 25 (ABIs 115, 127, 137, 141), linked against glibc 2.38 (Debian 13, Ubuntu 24.04);
//   legacy:  @trufflesuite/uws-js-unofficial 20.30 (alias `uWebSockets.js`), Node 16/18/20 only
//            (ABIs 93, 108, 115), glibc 2.27 and up.
// What *should* load is decided from Node's ABI and the C library, from these tables, not from what
// happens to load: a build that should load and does not (a missing package, a broken binary) is
// then visible as `loaded !== expected`, which the server logs at error and the tests assert against.
// Where neither has a binary (Node 22/24 on glibc < 2.38, musl), the channel runs on the `ws` package.
import { createRequire } from 'node:module';

export type UwsBuild = 'current' | 'legacy' | 'shim';
type Uws = typeof import('uWebSockets.js');

interface NativeBuild {
  build: Exclude<UwsBuild, 'shim'>;
  module: string;
  version: string;
  abis: string[];
  platforms: string[];
  /** Lowest glibc on Linux; musl (no glibc) has neither build. */
  minGlibc: [number, number];
}

// In order of preference: the current build where it runs, else the legacy one.
const BUILDS: NativeBuild[] = [
  {
    build: 'current',
    module: 'uWebSockets.js-current',
    version: '20.57.0',
    abis: ['115', '127', '137', '141'],
    platforms: ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64'],
    minGlibc: [2, 38],
  },
  {
    build: 'legacy',
    module: 'uWebSockets.js',
    version: '20.30.0-unofficial.0',
    abis: ['93', '108', '115'],
    platforms: ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64'],
    minGlibc: [2, 27],
  },
];

export interface Runtime {
  platform: string;
  arch: string;
  /** process.versions.modules: the native-addon ABI of this Node. */
  abi: string;
  /** glibc version at run time ("2.36"); undefined off Linux or on musl. */
  glibc: string | undefined;
}

export function currentRuntime(): Runtime {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return { platform: process.platform, arch: process.arch, abi: process.versions.modules, glibc: header?.glibcVersionRuntime };
}

function glibcAtLeast(version: string | undefined, [major, minor]: [number, number]): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  if (!m) return false;
  return Number(m[1]) > major || (Number(m[1]) === major && Number(m[2]) >= minor);
}

/** The build that has a binary for this Node and C library (`shim` where none has), with the reason. */
export function expectedBuild(rt: Runtime, fallbackForced = false): { build: UwsBuild; reason: string } {
  if (fallbackForced) return { build: 'shim', reason: 'UWS_USE_FALLBACK is set' };
  for (const b of BUILDS) {
    if (!b.platforms.includes(`${rt.platform}-${rt.arch}`) || !b.abis.includes(rt.abi)) continue;
    if (rt.platform === 'linux' && !glibcAtLeast(rt.glibc, b.minGlibc)) continue;
    return { build: b.build, reason: `uWebSockets.js ${b.version} has a binary for Node ABI ${rt.abi} on ${rt.platform}-${rt.arch}` };
  }
  const libc = rt.platform === 'linux' ? (rt.glibc ? `glibc ${rt.glibc}` : 'a non-glibc C library') : rt.platform;
  return {
    build: 'shim',
    reason: `no uWebSockets.js build has a binary for Node ABI ${rt.abi} with ${libc} (the current build needs glibc 2.38+, the legacy one Node 20 or older)`,
  };
}

export interface UwsChoice {
  /** What ran: `current` or `legacy` native build, or `shim` (the realtime channel on the `ws` package). */
  loaded: UwsBuild;
  /** What should have run on this Node and C library. */
  expected: UwsBuild;
  reason: string;
  /** The native module; undefined on `shim`. */
  uws: Uws | undefined;
  version: string | undefined;
  /** Why a native build that should have loaded did not. */
  error?: string;
}

const isNative = (m: Uws) => /\[native code\]/.test(Function.prototype.toString.call(m.App));

/** Loads the build expected here; on failure, the next one that loads, and says so in `error`. */
export function loadUws(rt: Runtime = currentRuntime(), env: NodeJS.ProcessEnv = process.env): UwsChoice {
  const forced = /^(true|1)$/i.test(env.UWS_USE_FALLBACK ?? '');
  const { build: expected, reason } = expectedBuild(rt, forced);
  if (forced) return { loaded: 'shim', expected, reason, uws: undefined, version: undefined };
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  const start = Math.max(
    0,
    BUILDS.findIndex((b) => b.build === expected),
  );
  for (const b of BUILDS.slice(expected === 'shim' ? BUILDS.length : start)) {
    try {
      const uws = require(b.module) as Uws;
      // The legacy package swaps in its own ws emulation when its binary fails to load.
      if (!isNative(uws)) throw new Error(`${b.module} fell back to its JavaScript emulation`);
      return { loaded: b.build, expected, reason, uws, version: b.version, ...(errors.length ? { error: errors.join('; ') } : {}) };
    } catch (err) {
      errors.push(`${b.build} (${b.module}): ${((err as Error).message ?? String(err)).split('\n').filter(Boolean).pop()}`);
    }
  }
  return { loaded: 'shim', expected, reason, uws: undefined, version: undefined, ...(errors.length ? { error: errors.join('; ') } : {}) };
}
