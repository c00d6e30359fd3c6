import { sha256Hex } from '../util/sha256.ts';
import type { MigrationFile } from './migrations.ts';
import type { Queryable } from './port.ts';

/** What the code expects of one applied migration: its number and the checksum of its file. */
export interface MigrationRecord {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
}

export async function migrationRecords(files: readonly MigrationFile[]): Promise<MigrationRecord[]> {
  return Promise.all(files.map(async (f) => ({ version: f.version, name: f.name, checksum: await sha256Hex(f.sql) })));
}

export interface MigrationStatus {
  /** False when the database has no migration history at all. */
  readonly initialised: boolean;
  readonly applied: number;
  readonly pending: readonly MigrationRecord[];
  /** Applied migrations whose file changed, or that this code does not know: the service refuses to start on either. */
  readonly problems: readonly string[];
}

/**
 * The database's migration history against what this code expects, read-only (for the doctor
 * and the readiness probe, which change nothing). Reads only schema_migrations (no row-level
 * security, no tenant), so it is cheap enough to poll.
 */
export async function migrationStatus(db: Queryable, expected: readonly MigrationRecord[]): Promise<MigrationStatus> {
  const [exists] = await db.query<{ t: string | null }>(`select to_regclass('schema_migrations')::text as t`);
  if (!exists?.t) return { initialised: false, applied: 0, pending: expected, problems: [] };
  const applied = await db.query<{ version: number; name: string; checksum: string }>(
    'select version, name, checksum from schema_migrations order by version',
  );
  const byVersion = new Map(expected.map((m) => [m.version, m]));
  const problems: string[] = [];
  for (const row of applied) {
    const m = byVersion.get(Number(row.version));
    if (!m) problems.push(`migration ${row.version} (${row.name}) is applied but unknown to this code: this code is older than the schema`);
    else if (m.checksum !== row.checksum)
      problems.push(`migration ${row.version} (${row.name}) differs from its file: changed after it was applied`);
  }
  const done = new Set(applied.map((r) => Number(r.version)));
  return { initialised: true, applied: applied.length, pending: expected.filter((m) => !done.has(m.version)), problems };
}

/** How the history differs from what this code expects, one sentence a difference: empty when current. */
export async function migrationDrift(db: Queryable, expected: readonly MigrationRecord[]): Promise<string[]> {
  const s = await migrationStatus(db, expected);
  return [...s.pending.map((m) => `migration ${m.version} (${m.name}) is pending`), ...s.problems];
}
