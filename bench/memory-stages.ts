/**
 * Where the start-up memory of `launchproof serve` on PGlite goes: the service's start stages
 * run in this process one after another, with VmRSS by kind of mapping (bench/smaps.ts) and
 * process.memoryUsage() after each. A diagnosis aid for bench/memory.bench.ts, not part of
 * `npm run bench`. On a data directory made by `launchproof init`:
 *
 *   DATA_DIR=DIR PUBLIC_URL=ITS_ORIGIN node --expose-gc --import tsx bench/memory-stages.ts
 *
 * (--expose-gc: each figure is read after a full collection, so it is what is kept, not garbage.)
 */
import { memoryKinds } from './smaps.ts';

const rows: string[] = [];
const mib = (n: number) => n.toFixed(1).padStart(6);

async function report(stage: string): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const k = await memoryKinds('self');
  const cells = [m.rss / 2 ** 20, k.v8Pages, k.wasm, k.arenas, k.brk, k.files, k.other, m.heapUsed / 2 ** 20, m.heapTotal / 2 ** 20];
  rows.push(`| ${stage.padEnd(30)} | ${cells.map(mib).join(' | ')} |`);
}

await report('node + loader');
const { parseConfig } = await import('../src/config/index.ts');
const { openDatabase } = await import('../src/runtime/node/open-database.ts');
const { loadMigrations } = await import('../src/runtime/node/migration-files.ts');
const { migrate } = await import('../src/store/migrations.ts');
const { buildWebAssets } = await import('../src/runtime/node/web-assets.ts');
const { openService } = await import('../src/runtime/node/service.ts');
await report('modules imported');

const config = parseConfig(process.env);
const db = await openDatabase(config);
await report('PGlite open');
await migrate(db, await loadMigrations());
await report('migrations checked');
await db.close();
await report('PGlite closed');
const assets = await buildWebAssets();
await report(`web assets (${(assets.verifyScript.length / 1024).toFixed(0)} KiB)`);

const service = await openService(config);
await report('openService (PGlite + app)');
await service.sweep();
await report('first sweep');
const origin = config.publicUrl.origin;
for (const path of ['/readyz', '/openapi.json', '/verify']) {
  await service.app.fetch(new Request(`${origin}${path}`), { db: service.db });
}
await report('GET /readyz, /openapi.json, /verify');
await service.close();
await report('service closed');

console.log('| stage | VmRSS | V8 pages | WASM | arenas | brk | files | other | heap used | heap total |  (MiB)');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
