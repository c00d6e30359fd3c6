#!/usr/bin/env node
// `npm run build`: the Node service as plain JavaScript in dist/, for a production install that
// has no TypeScript loader and no bundler (the container image runs `node dist/launchproof.js`).
//
// - Our sources are bundled into one ESM file; every package stays an import, resolved from the
//   production node_modules at run time (`packages: 'external'`), so the lockfile still decides
//   what runs and `npm ci --omit=dev` installs it.
// - The browser verifier is built here, once, by the same function `npm start` calls at start,
//   and its text is compiled into the bundle in place of that builder: production never loads
//   esbuild, and a page is the same bytes on every replica.
// - migrations/ stays a directory beside dist/: the runner reads and checksums the files.
// - postgres.js is guarded as it loads (src/runtime/node/postgres-guard.ts) by a Node module hook,
//   which must be registered before the bundle's static imports load the driver: dist/launchproof.js
//   registers dist/postgres-guard.js when DATABASE_URL is set, then imports dist/cli.js, as
//   bin/launchproof.mjs does for tsx.
// - `--outdir NAME` builds into another directory beside dist/ instead: the test run builds its own
//   copy (test/support/global-setup.ts) so it never rewrites the dist/ a developer serves from.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outName = process.argv[2] === '--outdir' ? process.argv[3] : 'dist';
// At dist/'s depth only: the bundle finds migrations/ and node_modules above it, and its source maps point one level up.
if (!outName || !/^[A-Za-z0-9._-]+$/.test(outName) || /^\.+$/.test(outName) || outName.startsWith('.dist-build-'))
  throw new Error('usage: node scripts/build.mjs [--outdir NAME], NAME a directory directly under the repository');
const outdir = join(root, outName);

register();
const { buildWebAssets } = await import('../src/runtime/node/web-assets.ts');
const { verifyScript } = await buildWebAssets();

/** Replaces the esbuild-driven builder with a module returning what it built above. */
const prebuiltWebAssets = {
  name: 'prebuilt-web-assets',
  setup(b) {
    b.onResolve({ filter: /\/web-assets\.ts$/ }, (args) =>
      args.importer.includes(join('src', 'runtime', 'node')) ? { path: 'prebuilt-web-assets', namespace: 'prebuilt' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'prebuilt' }, () => ({
      contents: `const assets = Object.freeze({ verifyScript: ${JSON.stringify(verifyScript)} });
export async function buildWebAssets() { return assets; }`,
      loader: 'js',
    }));
  },
};

// Built aside and renamed into dist/ file by file: `npm start` builds every time, and a server
// starting meanwhile from the same checkout must find the old file or the new one, never none.
// (dist/ also holds the Workers build's output, scripts/build-web.mjs, which this leaves alone.)
// Beside dist/, at its depth, so the source maps' relative paths hold once the files move in.
const staging = join(root, `.dist-build-${process.pid}`);
await rm(staging, { recursive: true, force: true });
const result = await build({
  entryPoints: {
    cli: join(root, 'src/runtime/node/cli.ts'),
    'postgres-guard': join(root, 'src/runtime/node/postgres-guard.ts'),
  },
  outdir: staging,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  plugins: [prebuiltWebAssets],
});

// A bundle that still reaches for the build tools would only fail in production, on a page load.
const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
const devOnly = imports.filter((p) => /^(esbuild|tsx|typescript|vite|vitest)(\/|$)/.test(p));
if (devOnly.length > 0) throw new Error(`dist/cli.js imports build tools: ${devOnly.join(', ')}`);
await writeFile(
  join(staging, 'launchproof.js'),
  `// The production entry: on PostgreSQL, guards postgres.js before anything imports it, then runs
// the command line. Without DATABASE_URL (PGlite) the driver never connects, and a module hook
// runs on a thread of its own with its own V8 heap: \`serve\` on PGlite started ~10 MiB smaller
// without it (docs/benchmarks.md). openDatabase refuses PostgreSQL through an unguarded driver.
import { register } from 'node:module';

if (process.env.DATABASE_URL) register('./postgres-guard.js', import.meta.url);
await import('./cli.js');
`,
);
// The modules first, the entry that imports them last.
await mkdir(outdir, { recursive: true });
for (const name of ['cli.js.map', 'postgres-guard.js.map', 'cli.js', 'postgres-guard.js', 'launchproof.js']) {
  await rename(join(staging, name), join(outdir, name));
}
await rm(staging, { recursive: true, force: true });
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(
  `built ${outName}/launchproof.js, ${outName}/cli.js and ${outName}/postgres-guard.js (${Math.round(bytes / 1024)} KiB with its source map)`,
);
