import { sha256Hex, type MigrationFile } from './migrations.ts';
import type { Database } from './port.ts';

/** What the code expects of one applied migration: its number and the checksum of its file. */
export interface MigrationRecord {
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
}

export async function migrationRecords(files: readonly MigrationFile[]): Promise<MigrationRecord[]> {
  return Promise.all(files.map(async (f) => ({ version: f.version, name: f.name, checksum: await sha256Hex(f.sql) })));
}

/**
 * How the database's migration history differs from what this code expects: empty when the
 * schema is current. Reads only schema_migrations (no row-level security, no tenant), so it
 * is cheap enough for a readiness probe.
 */
export async function migrationDrift(db: Database, expected: readonly MigrationRecord[]): Promise<string[]> {
  const [exists] = await db.query<{ t: string | null }>(`select to_regclass('schema_migrations')::text as t`);
  const applied = exists?.t ? await db.query<{ version: number; checksum: string }>('select version, checksum from schema_migrations') : [];
  const byVersion = new Map(applied.map((r) => [Number(r.version), r.checksum]));
  const drift: string[] = [];
  for (const m of expected) {
    const checksum = byVersion.get(m.version);
    if (checksum === undefined) drift.push(`migration ${m.version} (${m.name}) is pending`);
    else if (checksum !== m.checksum) drift.push(`migration ${m.version} (${m.name}) differs from its file`);
  }
  const known = new Set(expected.map((m) => m.version));
  for (const v of byVersion.keys()) if (!known.has(v)) drift.push(`migration ${v} is applied but unknown to this code`);
  return drift;
}
