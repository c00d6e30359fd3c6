import { sha256Hex } from '../util/sha256.ts';
import type { Database } from './port.ts';

export interface MigrationFile {
  /** Positive integer from the file name prefix: 0001_init.sql -> 1. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export interface MigrationReport {
  readonly applied: readonly number[];
  readonly current: number;
}

/** The history in the database and the files on disk disagree; nothing was changed. */
export class MigrationHistoryError extends Error {
  override readonly name = 'MigrationHistoryError';
}

// An arbitrary, fixed advisory-lock key ("lpmg"): every instance that migrates takes it first.
const LOCK_KEY = 0x6c706d67;

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** Turns `{ '0001_init.sql': '...' }` into ordered migrations, refusing gaps and odd names. */
export function migrationsFromFiles(files: Readonly<Record<string, string>>): MigrationFile[] {
  const list = Object.entries(files).map(([file, sql]) => {
    const m = FILE_NAME.exec(file);
    if (!m) throw new MigrationHistoryError(`migration file name ${file} is not NNNN_name.sql`);
    return { version: Number(m[1]), name: m[2]!, sql };
  });
  list.sort((a, b) => a.version - b.version);
  list.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new MigrationHistoryError(`migrations must be numbered 1..n without gaps; found ${m.version} at position ${i + 1}`);
  });
  return list;
}

/**
 * Applies pending migrations, forward only, in a single transaction under an advisory lock:
 * two instances starting together serialise here, and the second finds nothing left to do.
 * Refuses to run when an applied migration's checksum differs from its file, or when the
 * database knows a migration the files do not (code older than the schema).
 */
export async function migrate(db: Database, files: readonly MigrationFile[]): Promise<MigrationReport> {
  const checksums = await Promise.all(files.map((f) => sha256Hex(f.sql)));
  return db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.query(`create table if not exists schema_migrations (
      version integer primary key,
      name text not null,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`);
    const applied = await tx.query<{ version: number; name: string; checksum: string }>(
      'select version, name, checksum from schema_migrations order by version',
    );
    for (const row of applied) {
      const file = files[row.version - 1];
      if (!file)
        throw new MigrationHistoryError(
          `database has migration ${row.version} (${row.name}) that no file provides: this code is older than the schema`,
        );
      if (checksums[row.version - 1] !== row.checksum) {
        throw new MigrationHistoryError(
          `migration ${row.version} (${row.name}) was changed after it was applied: checksum ${row.checksum} in the database, ${checksums[row.version - 1]} on disk`,
        );
      }
    }
    const done: number[] = [];
    for (const file of files.slice(applied.length)) {
      await tx.exec(file.sql);
      await tx.query('insert into schema_migrations (version, name, checksum) values ($1, $2, $3)', [
        file.version,
        file.name,
        checksums[file.version - 1],
      ]);
      done.push(file.version);
    }
    return { applied: done, current: files.length };
  });
}
