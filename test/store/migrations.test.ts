import { afterEach, describe, expect, it } from 'vitest';
import { loadMigrations } from '../../src/runtime/node/migration-files.ts';
import { migrate, MigrationHistoryError, migrationsFromFiles, type MigrationFile } from '../../src/store/migrations.ts';
import { sha256Hex } from '../../src/util/sha256.ts';
import type { Database } from '../../src/store/port.ts';
import { emptyEngines, postgresAvailable } from '../support/databases.ts';
import { skipBecause } from '../support/skip.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** An empty, unmigrated database of each engine, disposed of after each test. */
const emptyEnginesDisposed = emptyEngines().map(({ engine, open }) => ({
  engine,
  open: async () => {
    const t = await open();
    cleanups.push(() => t.dispose());
    return t;
  },
}));

const tables = async (db: Database) =>
  (await db.query<{ t: string }>(`select tablename as t from pg_tables where schemaname = 'public' order by 1`)).map((r) => r.t);

describe.each(emptyEnginesDisposed)('migrations on $engine', ({ open }) => {
  it('builds the schema from the numbered files and records each with its checksum', async () => {
    const { db } = await open();
    const files = await loadMigrations();
    const report = await migrate(db, files);
    expect(report.applied).toEqual(files.map((f) => f.version));
    expect(await tables(db)).toEqual(expect.arrayContaining(['tenants', 'signing_keys', 'api_keys', 'audit_events', 'schema_migrations']));
    const rows = await db.query<{ version: number; checksum: string }>('select version, checksum from schema_migrations order by version');
    expect(rows).toEqual(await Promise.all(files.map(async (f) => ({ version: f.version, checksum: await sha256Hex(f.sql) }))));
  });

  it('applies nothing the second time', async () => {
    const { db } = await open();
    const files = await loadMigrations();
    await migrate(db, files);
    expect((await migrate(db, files)).applied).toEqual([]);
  });

  it('applies only the new file when one is added', async () => {
    const { db } = await open();
    const files = await loadMigrations();
    await migrate(db, files);
    const next: MigrationFile = { version: files.length + 1, name: 'add_probe', sql: 'create table probe (id int primary key);' };
    expect((await migrate(db, [...files, next])).applied).toEqual([next.version]);
    expect(await tables(db)).toContain('probe');
  });

  it('refuses a history whose applied file was edited afterwards, and changes nothing', async () => {
    const { db } = await open();
    const files = await loadMigrations();
    await migrate(db, files);
    const edited = files.map((f, i) => (i === 0 ? { ...f, sql: `${f.sql}\n-- edited` } : f));
    const extra: MigrationFile = { version: files.length + 1, name: 'never', sql: 'create table never_applied (id int);' };
    await expect(migrate(db, [...edited, extra])).rejects.toThrow(MigrationHistoryError);
    expect(await tables(db)).not.toContain('never_applied');
  });

  it('refuses to run code older than the schema (a migration the files do not know)', async () => {
    const { db } = await open();
    const files = await loadMigrations();
    const extra: MigrationFile = { version: files.length + 1, name: 'from_the_future', sql: 'create table future (id int);' };
    await migrate(db, [...files, extra]);
    await expect(migrate(db, files)).rejects.toThrow(/older than the schema/);
  });

  it('rolls a failing migration back whole: no half-applied schema, no history row', async () => {
    const { db } = await open();
    const files = await loadMigrations();
    await migrate(db, files);
    const broken: MigrationFile = {
      version: files.length + 1,
      name: 'broken',
      sql: 'create table half (id int); select * from no_such_table;',
    };
    await expect(migrate(db, [...files, broken])).rejects.toThrow();
    expect(await tables(db)).not.toContain('half');
    const [row] = await db.query<{ n: number }>('select count(*)::int as n from schema_migrations');
    expect(row!.n).toBe(files.length);
  });
});

describe.skipIf(
  skipBecause(
    !postgresAvailable(),
    'set TEST_POSTGRES_URL to a PostgreSQL 15 server this run may create databases on (.ci/run starts one)',
  ),
)('migrations from two instances at once (real PostgreSQL)', () => {
  it('serialise on the advisory lock: each migration is applied exactly once', async () => {
    const { db, connect } = await emptyEnginesDisposed.find((e) => e.engine === 'postgres')!.open();
    const files = await loadMigrations();
    const others = [db, connect!(), connect!(), connect!()];
    const reports = await Promise.all(others.map((d) => migrate(d, files)));
    expect(reports.flatMap((r) => r.applied).sort((a, b) => a - b)).toEqual(files.map((f) => f.version));
    const [row] = await db.query<{ n: number }>('select count(*)::int as n from schema_migrations');
    expect(row!.n).toBe(files.length);
  });
});

describe('migration file names', () => {
  it('orders files by number and refuses gaps and odd names', () => {
    expect(migrationsFromFiles({ '0002_b.sql': 'b', '0001_a.sql': 'a' }).map((m) => m.name)).toEqual(['a', 'b']);
    expect(() => migrationsFromFiles({ '0001_a.sql': 'a', '0003_c.sql': 'c' })).toThrow(MigrationHistoryError);
    expect(() => migrationsFromFiles({ '1_a.sql': 'a' })).toThrow(MigrationHistoryError);
  });
});
