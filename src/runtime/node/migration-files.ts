import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { migrationsFromFiles, type MigrationFile } from '../../store/migrations.ts';
import { packageRoot } from './package-root.ts';

export const MIGRATIONS_DIR = join(packageRoot(), 'migrations');

/** Reads migrations/*.sql, in order, as the runtime-free runner wants them. */
export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql'));
  const files: Record<string, string> = {};
  for (const n of names) files[n] = await readFile(join(dir, n), 'utf8');
  return migrationsFromFiles(files);
}
