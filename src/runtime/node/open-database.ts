import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../../config/index.ts';
import type { Database } from '../../store/port.ts';
import { openPglite } from '../pglite/database.ts';
import { createClusterApart } from '../pglite/create-apart.ts';
import { openPostgres } from '../postgres/database.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { postgresGuarded } from './postgres-guard.ts';
import { UsageError } from './usage-error.ts';

/** PostgreSQL when DATABASE_URL is set, otherwise the embedded PGlite kept under DATA_DIR. */
export async function openDatabase(config: Config): Promise<Database> {
  if (config.databaseUrl) {
    // Unguarded, the driver kills this process the first time PostgreSQL restarts under load.
    if (!postgresGuarded())
      throw new Error(
        'postgres.js was loaded without its guard: start launchproof through bin/launchproof.mjs (or dist/launchproof.js when built)',
      );
    return openPostgres(config.databaseUrl, { prepare: config.databasePreparedStatements });
  }
  const dir = resolve(config.dataDir, 'pglite');
  if (!existsSync(dir)) await refuseAfterInterruptedRestore(resolve(config.dataDir));
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const unlock = await lockDataDir(dir);
  try {
    // A new directory's cluster is made by another process, which gives initdb's memory back.
    await createClusterApart(dir);
    const db = await openPglite(dir);
    return { ...db, close: () => db.close().finally(unlock) };
  } catch (e) {
    await unlock();
    throw e;
  }
}

/**
 * `launchproof restore` sets the database it replaces aside (pglite.before-restore-TIME), then
 * renames the restored one (pglite.restoring-PID) into place. Killed between the two, it leaves
 * no database: a start would take that for a new deployment (a fresh database, a new origin and
 * root key) while the real one sits beside it. It refuses instead, naming what is there.
 */
async function refuseAfterInterruptedRestore(dataDir: string): Promise<void> {
  const names = await readdir(dataDir).catch(() => [] as string[]);
  const left = names.filter((n) => /^pglite\.(before-restore|restoring)-/.test(n)).sort();
  if (left.length === 0) return;
  throw new UsageError(
    `a restore did not finish: ${dataDir} has no database, but holds ${left.join(', ')}. ` +
      'Run `launchproof restore FILE` again, or rename the database you mean to keep to pglite; nothing was created.',
  );
}

export function dataPath(config: Config, name: string): string {
  return join(resolve(config.dataDir), name);
}
