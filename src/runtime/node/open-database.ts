import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../../config/index.ts';
import type { Database } from '../../store/port.ts';
import { openPglite } from '../pglite/database.ts';
import { openPostgres } from '../postgres/database.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { postgresGuarded } from './postgres-guard.ts';

/** PostgreSQL when DATABASE_URL is set, otherwise the embedded PGlite kept under DATA_DIR. */
export async function openDatabase(config: Config): Promise<Database> {
  if (config.databaseUrl) {
    // Unguarded, the driver kills this process the first time PostgreSQL restarts under load.
    if (!postgresGuarded())
      throw new Error(
        'postgres.js was loaded without its guard: start launchproof through bin/launchproof.mjs (or dist/launchproof.js when built)',
      );
    return openPostgres(config.databaseUrl);
  }
  const dir = resolve(config.dataDir, 'pglite');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const unlock = await lockDataDir(dir);
  try {
    const db = await openPglite(dir);
    return { ...db, close: () => db.close().finally(unlock) };
  } catch (e) {
    await unlock();
    throw e;
  }
}

export function dataPath(config: Config, name: string): string {
  return join(resolve(config.dataDir), name);
}
