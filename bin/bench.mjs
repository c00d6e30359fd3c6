#!/usr/bin/env node
// `npm run bench`: every bench/*.bench.ts in turn, each printing its table.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const files = readdirSync(new URL('../bench/', import.meta.url))
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
let failed = 0;
for (const f of files) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', new URL(`../bench/${f}`, import.meta.url).pathname], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
  console.log();
}
process.exit(failed ? 1 : 0);
