import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { inject } from 'vitest';
import { wrapPglite } from '../../src/runtime/pglite/database.ts';
import { openPostgres } from '../../src/runtime/postgres/database.ts';
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
