import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import type { WebAssets } from '../../web/assets.ts';

const ENTRY = fileURLToPath(new URL('../../web/browser/main.ts', import.meta.url));

/**
 * Code that must never reach a buyer's browser: storage, key encryption, issuance and the HTTP
 * server. The pipeline does not need any of it; if an import chain ever drags one in, the build
 * fails here instead of shipping it.
 */
const SERVER_ONLY = [
  /node_modules\/(hono|@hono|postgres|@electric-sql|@sd-jwt)\//,
  /src\/(store|keys|runtime|http|oid4vci|auth|attestations)\//,
  /src\/status\/publish\.ts$/,
  /src\/tenants\/(tenants|bootstrap)\.ts$/,
];

/**
 * zod's `z` namespace carries every language's error messages (about 260 KB minified, most of the
 * bundle) and esbuild keeps a namespace whole. Nothing here reads `z.locales`: the page shows
 * its own sentences, never a zod message, and zod's English default is imported apart from it.
 */
const withoutZodLocales: Plugin = {
  name: 'without-zod-locales',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /node_modules\/zod\//.test(args.importer) ? { path: 'zod-locales', namespace: 'empty-module' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'empty-module' }, () => ({ contents: 'export {}', loader: 'js' }));
  },
};

/**
 * Bundles the browser entry with esbuild, in memory. An IIFE rather than a module, so the same
 * text runs from `<script src>` on the site and inline in the saved verifier opened from disk.
 */
export async function buildWebAssets(): Promise<WebAssets> {
  const result = await build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    write: false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [withoutZodLocales],
  });
  const serverOnly = Object.keys(result.metafile.inputs).filter((input) => SERVER_ONLY.some((re) => re.test(input)));
  if (serverOnly.length > 0) throw new Error(`the browser build pulls in server code: ${serverOnly.slice(0, 5).join(', ')}`);
  const script = result.outputFiles[0]?.text;
  if (script === undefined) throw new Error('esbuild produced no output for the browser entry');
  return { verifyScript: script };
}
