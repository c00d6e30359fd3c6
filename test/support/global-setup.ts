import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { wrapPglite } from '../../src/runtime/pglite/database.ts';
import { openPostgres } from '../../src/runtime/postgres/database.ts';
import { loadMigrations } from '../../src/runtime/node/migration-files.ts';
import { buildWebAssets } from '../../src/runtime/node/web-assets.ts';
import { migrate } from '../../src/store/migrations.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteDump: string;
    /** A PGlite no migration has touched, as PGlite.create() leaves it: for the migration tests (emptyEngines). */
    pgliteEmptyDump: string;
    postgresAdminUrl: string;
    postgresTemplate: string;
    /** The browser build of the verification pipeline, built once per run (src/runtime/node/web-assets.ts). */
    webAssetsPath: string;
    /** The production entry (scripts/build.mjs), built once per run from this checkout: test/support/service-process.ts runs it. */
    builtCli: string;
  }
}

const REPO = join(import.meta.dirname, '../..');

/**
 * `npm run build` into a directory of this run's own beside dist/ (the bundle finds migrations/
 * and node_modules from there, as dist/launchproof.js does), leaving the developer's dist/ alone.
 */
function buildCli(name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(REPO, 'scripts/build.mjs'), '--outdir', name],
      { cwd: REPO, encoding: 'utf8' },
      (error, _out, stderr) =>
        error ? reject(new Error(`scripts/build.mjs failed: ${stderr}`)) : resolve(join(REPO, name, 'launchproof.js')),
    );
  });
}

/**
 * Migrates once per run: PGlite costs seconds to start, so every test file loads this dump
 * instead; PostgreSQL gets a template database that each file clones in milliseconds.
 * TEST_POSTGRES_URL (set by .ci/run) names a server we may create databases on.
 */
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(join(tmpdir(), 'launchproof-test-'));
  // Meanwhile, in a process of its own: the bundle that the console and service tests start.
  const cliDir = `.test-dist-${crypto.randomUUID().slice(0, 8)}`;
  const built = buildCli(cliDir);
  // Settled here so a failed build is reported once, by the await below, not as an unhandled rejection.
  built.catch(() => {});
  const migrations = await loadMigrations();

  const pg = await PGlite.create();
  // Before migrating: a new PGlite costs several seconds (its initdb), loading this dump a fraction of that.
  const emptyDumpPath = join(dir, 'pglite-empty.tar');
  await writeFile(emptyDumpPath, new Uint8Array(await (await pg.dumpDataDir('none')).arrayBuffer()));
  project.provide('pgliteEmptyDump', emptyDumpPath);
  await migrate(wrapPglite(pg), migrations);
  const dumpPath = join(dir, 'pglite-migrated.tar');
  const dump = await pg.dumpDataDir('none');
  await writeFile(dumpPath, new Uint8Array(await dump.arrayBuffer()));
  await pg.close();
  project.provide('pgliteDump', dumpPath);

  // The browser bundle, once per run: every harness serves it, the browser tests run it.
  const webAssetsPath = join(dir, 'verify.js');
  await writeFile(webAssetsPath, (await buildWebAssets()).verifyScript);
  project.provide('webAssetsPath', webAssetsPath);
  project.provide('builtCli', await built);

  const adminUrl = process.env.TEST_POSTGRES_URL ?? '';
  // CI sets REQUIRE_POSTGRES so a server that failed to start fails the run instead of skipping half of it.
  if (!adminUrl && process.env.REQUIRE_POSTGRES === '1') throw new Error('REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set');
  project.provide('postgresAdminUrl', adminUrl);
  // One template per run, so concurrent runs on one server never drop each other's.
  const template = `lp_template_${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
  project.provide('postgresTemplate', template);
  if (adminUrl) {
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${template}`);
    await admin.end();
    const db = openPostgres(withDatabase(adminUrl, template), { max: 1 });
    await migrate(db, migrations);
    await db.close();
  }

  return async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(join(REPO, cliDir), { recursive: true, force: true });
    if (adminUrl) {
      const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists ${template} with (force)`);
      await admin.end();
    }
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
