import { defineConfig } from 'tsup';

// ESM + CJS + .d.ts; platform neutral because the same bundle serves browsers and Node.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  tsconfig: 'tsconfig.build.json',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  // Overwrite in place instead of wiping dist first: the CLI and its tests read dist while we rebuild.
  clean: false,
  treeshake: true,
});
