// Bundles the CLI into dist/cli/ (ESM, code-split per command) so start-up reads a few files instead
// of hundreds: the Node ESM loader's per-file cost dominated a release's first 200 ms.
import { build } from 'esbuild';

await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  chunkNames: 'chunks/[name]-[hash]',
  // Some dependencies still call require(): give ESM chunks one.
  banner: {
    js: "import { createRequire as __gitopsFlowRequire } from 'node:module'; const require = __gitopsFlowRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
