import { createRequire } from 'node:module';

// uWebSockets.js is not on the npm registry under its own name. Two builds are:
// - `uWebSockets.js` (= @trufflesuite/uws-js-unofficial 20.30): native for Node 20's ABI (115) and
//   older on any glibc, falling back to a `ws` shim elsewhere;
// - `uWebSockets.js-current` (= @btc-vision/uwebsockets.js 20.57): native for Node 20, 22, 24 and 25
//   (ABIs 115, 127, 137, 141), but linked against glibc 2.38+ (Debian 13, Ubuntu 24.04).
// We load the newest build that can run here and say which one runs.
const require = createRequire(import.meta.url);
type Uws = typeof import('uWebSockets.js');

const CURRENT_BUILD_ABIS = new Set(['115', '127', '137', '141']);
const LEGACY_BUILD_ABIS = new Set(['93', '108', '115']);

/** glibc of this process ("2.36"), or undefined on musl and other C libraries. */
function glibcVersion(): string | undefined {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime;
}

const atLeast = (version: string | undefined, major: number, minor: number) => {
  if (!version) return false;
  const [a = 0, b = 0] = version.split('.').map(Number);
  return a > major || (a === major && b >= minor);
};

/**
 * Which build should load natively on this Node and C library, when nothing forces the shim:
 * tests compare it with what did load, so a native build that should load but does not fails them.
 */
export function expectedBuild(): 'current' | 'legacy' | 'shim' {
  if (process.platform === 'linux' && process.arch === 'x64') {
    if (CURRENT_BUILD_ABIS.has(process.versions.modules) && atLeast(glibcVersion(), 2, 38)) return 'current';
    if (LEGACY_BUILD_ABIS.has(process.versions.modules) && glibcVersion()) return 'legacy';
    return 'shim';
  }
  return LEGACY_BUILD_ABIS.has(process.versions.modules) ? 'legacy' : 'shim';
}

const forcedFallback = /^(true|1)$/i.test(process.env.UWS_USE_FALLBACK ?? '');

function load(): { uws: Uws; build: 'current' | 'legacy' | 'shim'; loadError?: string } {
  let loadError: string | undefined;
  if (!forcedFallback) {
    try {
      return { uws: require('uWebSockets.js-current') as Uws, build: 'current' };
    } catch (err) {
      // Expected on glibc < 2.38 and on Node versions it has no binary for; the legacy build is next.
      loadError = String(err).split('\n').at(-1);
    }
  }
  const legacy = require('uWebSockets.js') as Uws;
  const native = /\[native code\]/.test(Function.prototype.toString.call(legacy.App));
  return { uws: legacy, build: native ? 'legacy' : 'shim', loadError };
}

const loaded = load();

/** The uWebSockets.js module in use. */
export const uws: Uws = loaded.uws;
/** `current` (v20.57 native), `legacy` (v20.30 native) or `shim` (the package's `ws` emulation). */
export const uwsBuild = loaded.build;
/** `native` when a uWS C++ addon loaded, `shim` when the `ws` emulation runs. */
export const realtimeTransport: 'native' | 'shim' = loaded.build === 'shim' ? 'shim' : 'native';
/** Why the current build did not load, for the start-up log. */
export const uwsCurrentLoadError = loaded.loadError;
