#!/usr/bin/env node
// `npm run build`: the Node service as plain JavaScript in dist/, for a production install that
// has no TypeScript loader and no bundler (the container image runs `node dist/cli.js`).
//
// - Our sources are bundled into one ESM file; every package stays an import, resolved from the
//   production node_modules at run time (`packages: 'external'`), so the lockfile still decides
//   what runs and `npm ci --omit=dev` installs it.
// - The browser verifier is built here, once, by the same function `npm start` calls at start,
//   and its text is compiled into the bundle in place of that builder: production never loads
//   esbuild, and a page is the same bytes on every replica.
// - migrations/ stays a directory beside dist/: the runner reads and checksums the files.
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist');

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

await rm(join(outdir, 'cli.js'), { force: true });
const result = await build({
  entryPoints: [join(root, 'src/runtime/node/cli.ts')],
  outfile: join(outdir, 'cli.js'),
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
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
console.log(`built dist/cli.js (${Math.round(bytes / 1024)} KiB with its source map)`);
