#!/usr/bin/env node
// The Worker's build step (wrangler.toml [build]): the browser bundle, made by the same code the
// Node entry runs at start, written as a module whose default export is the script's text, so
// wrangler bundles it into the Worker like any import (a Text module would be a second file
// every host of the bundle must be told about). dist/ is not committed: every deploy (and
// `wrangler deploy --dry-run`) builds it from the sources afresh.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register();
const { buildWebAssets } = await import('../src/runtime/node/web-assets.ts');
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'web', 'verify-script.js');
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `export default ${JSON.stringify((await buildWebAssets()).verifyScript)};\n`);

// The migrations this build expects applied, for the Worker's readiness probe: it has no files
// to read, and it never migrates (operators do, before deploying).
const { loadMigrations } = await import('../src/runtime/node/migration-files.ts');
const { migrationRecords } = await import('../src/store/migration-state.ts');
const manifest = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'migrations', 'manifest.js');
await mkdir(dirname(manifest), { recursive: true });
await writeFile(manifest, `export default ${JSON.stringify(await migrationRecords(await loadMigrations()))};\n`);
