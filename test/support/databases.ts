import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { inject } from 'vitest';
import { loadMigrations } from '../../src/runtime/node/migration-files.ts';
import { wrapPglite } from '../../src/runtime/pglite/database.ts';
import { openPostgres } from '../../src/runtime/postgres/database.ts';
import { migrate, type MigrationFile } from '../../src/store/migrations.ts';
import type { Database } from '../../src/store/port.ts';

export type EngineName = 'pglite' | 'postgres';

export interface TestDatabase {
  readonly db: Database;
  /** A connection string for this database (PostgreSQL only): for a second instance or workerd. */
  readonly url?: string;
  /** Closes the connection and drops the database. */
  dispose(): Promise<void>;
}

/** A migrated, empty PGlite database of its own, loaded from the run's dump. */
export async function freshPglite(): Promise<TestDatabase> {
  const dump = await readFile(inject('pgliteDump'));
  const pg = await PGlite.create({ loadDataDir: new Blob([dump]) });
  const db = wrapPglite(pg);
  return { db, dispose: () => db.close() };
}

export function postgresAvailable(): boolean {
  return inject('postgresAdminUrl') !== '';
}

/** Connection string of a new database cloned from the migrated template; dropped by the returned function. */
export async function createPostgresDatabase(options: { migrated?: boolean } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = inject('postgresAdminUrl');
  if (!adminUrl) throw new TypeError('TEST_POSTGRES_URL is not set');
  const name = `lp_test_${crypto.randomUUID().replace(/-/g, '').slice(0, 16)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(
    options.migrated === false ? `create database ${name}` : `create database ${name} template ${inject('postgresTemplate')}`,
  );
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

/** Runs statements on the test server as its administrator (cluster-wide things: roles). */
export async function asAdmin(...statements: string[]): Promise<void> {
  const admin = postgres(inject('postgresAdminUrl'), { max: 1, onnotice: () => {} });
  try {
    for (const s of statements) await admin.unsafe(s);
  } finally {
    await admin.end();
  }
}

export async function freshPostgres(options: { migrated?: boolean; max?: number } = {}): Promise<TestDatabase> {
  const { url, drop } = await createPostgresDatabase(options);
  const db = openPostgres(url, { max: options.max ?? 10 });
  return {
    db,
    url,
    dispose: async () => {
      await db.close();
      await drop();
    },
  };
}

/**
 * The engines a store test runs on: always PGlite, and real PostgreSQL when the run has one.
 * Use with `describe.each(engines())`.
 */
export function engines(): { engine: EngineName; open: () => Promise<TestDatabase> }[] {
  const list: { engine: EngineName; open: () => Promise<TestDatabase> }[] = [{ engine: 'pglite', open: freshPglite }];
  if (postgresAvailable()) list.push({ engine: 'postgres', open: () => freshPostgres() });
  return list;
}

/** An empty database that no migration has touched. */
export interface EmptyDatabase extends TestDatabase {
  /** Opens another pool on the same database, closed by `dispose` (PostgreSQL only: a PGlite has one connection). */
  readonly connect?: () => Database;
}

/**
 * The engines a migration test runs on, each opening an empty, unmigrated database of its own
 * (a new in-memory PGlite; a new PostgreSQL database not cloned from the migrated template), so
 * the test can build the schema of an older version, fill it as that version did, and migrate.
 * Use with `describe.each(emptyEngines())`.
 */
export function emptyEngines(): { engine: EngineName; open: () => Promise<EmptyDatabase> }[] {
  const list: { engine: EngineName; open: () => Promise<EmptyDatabase> }[] = [
    {
      engine: 'pglite',
      open: async () => {
        // The run's dump of a new, unmigrated PGlite: the same empty cluster, without an initdb per test.
        const dump = await readFile(inject('pgliteEmptyDump'));
        const db = wrapPglite(await PGlite.create({ loadDataDir: new Blob([dump]) }));
        return { db, dispose: () => db.close() };
      },
    },
  ];
  if (postgresAvailable()) {
    list.push({
      engine: 'postgres',
      open: async () => {
        const { url, drop } = await createPostgresDatabase({ migrated: false });
        const opened: Database[] = [];
        const connect = () => {
          const db = openPostgres(url, { max: 4 });
          opened.push(db);
          return db;
        };
        return {
          db: connect(),
          url,
          connect,
          dispose: async () => {
            for (const db of opened) await db.close();
            await drop();
          },
        };
      },
    });
  }
  return list;
}

/**
 * Brings an empty database to the schema of `version` (every migration up to and including it)
 * and returns all the migrations, for the test to apply the rest once it has written rows the
 * way that version's code did.
 */
export async function migrateThrough(db: Database, version: number): Promise<MigrationFile[]> {
  const files = await loadMigrations();
  if (!files.some((f) => f.version > version)) throw new TypeError(`no migration comes after ${version}: nothing would be tested`);
  await migrate(
    db,
    files.filter((f) => f.version <= version),
  );
  return files;
}

/**
 * Today's code appends to the tenant logs (migration 10) with every key it makes, and gives each
 * new tenant a log key and a log setting: on a schema older than that, these bare tables (and
 * column) stand in for migration 10's until the real migrations run. Drop them first (`dropLogStandIn`), as migration 10
 * creates the tables.
 */
export async function standInLogTable(db: Database): Promise<void> {
  await db.exec(`create table log_entries (tenant_id text, entry_id bigint generated always as identity, body text, type text,
    attestation_id uuid, at timestamptz, idx bigint);
    create table log_keys (tenant_id text, kid text, public_jwk jsonb, sealed text, kek_id text, created_at timestamptz,
    retired_at timestamptz);
    grant select, insert on log_entries, log_keys to launchproof_tenant;
    alter table tenants add column log_subjects text not null default 'name';`);
}

export async function dropLogStandIn(db: Database): Promise<void> {
  await db.exec('drop table log_entries; drop table log_keys; alter table tenants drop column log_subjects');
}
