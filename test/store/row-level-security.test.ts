import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import type { Database, Queryable } from '../../src/store/port.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { engines, type TestDatabase } from '../support/databases.ts';

const TABLES = ['tenants', 'signing_keys', 'api_keys', 'audit_events'] as const;
/** Every table in the schema, read from the catalogue, so a new table cannot skip the policy. */
// Every table but the two that hold no tenant's rows: the migration history and the deployment's own row (its origin).
// publication_versions holds only tenant ids and counters, which every instance polls across
// tenants outside any tenant transaction; only its triggers write it (test/store/tenant-role.test.ts).
const ALL_TABLES_SQL = `select tablename as t from pg_tables where schemaname = 'public'
  and tablename not in ('schema_migrations', 'deployment', 'publication_versions')`;
const tenantColumn = (table: string) => (table === 'tenants' ? 'id' : 'tenant_id');

/**
 * The second wall: with the service's own (non-superuser) role, a transaction scoped to one
 * tenant sees and writes only that tenant's rows, even when the query forgets to filter.
 * Superusers bypass row-level security, so each check switches to an unprivileged role.
 */
describe.each(engines())('row-level security on $engine', ({ open }) => {
  let t: TestDatabase;
  let db: Database;
  const role = `lp_app_${crypto.randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    t = await open();
    db = t.db;
    const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
    for (const id of ['alpha', 'beta']) {
      await createTenant({ db, kek, now: new Date(), actor: 'test' }, { id, name: id });
      await createApiKey({ db, now: new Date(), actor: 'test' }, { tenantId: id, roles: ['issuer'] });
    }
    await db.exec(`create role ${role} nologin nosuperuser nobypassrls;
      grant usage on schema public to ${role};
      grant select, insert, update, delete on all tables in schema public to ${role};`);
  });
  afterAll(async () => {
    await db.exec(`drop owned by ${role}; drop role ${role};`);
    await t.dispose();
  });

  /** Runs `fn` as the unprivileged role with the given settings, always rolled back. */
  async function asApp<T>(settings: Record<string, string>, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    let result: T;
    await db
      .transaction(async (tx) => {
        await tx.query(`set local role ${role}`);
        for (const [k, v] of Object.entries(settings)) await tx.query('select set_config($1, $2, true)', [k, v]);
        result = await fn(tx);
        throw new Rollback();
      })
      .catch((e) => {
        if (!(e instanceof Rollback)) throw e;
      });
    return result!;
  }
  class Rollback extends Error {}

  it.each(TABLES)('%s: an unfiltered query scoped to alpha sees only alpha rows', async (table) => {
    const owners = await asApp({ 'app.tenant_id': 'alpha' }, (tx) =>
      tx.query<{ t: string }>(`select ${tenantColumn(table)} as t from ${table}`),
    );
    expect(owners.length).toBeGreaterThan(0);
    expect(new Set(owners.map((r) => r.t))).toEqual(new Set(['alpha']));
  });

  it.each(TABLES)('%s: with no tenant scope at all, nothing is visible (fail closed)', async (table) => {
    const rows = await asApp({}, (tx) => tx.query(`select 1 from ${table}`));
    expect(rows).toHaveLength(0);
  });

  it('every tenant-owned table has a FORCEd row-level-security policy', async () => {
    const tables = (await db.query<{ t: string }>(ALL_TABLES_SQL)).map((r) => r.t);
    const guarded = await db.query<{ t: string }>(
      `select c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relrowsecurity and c.relforcerowsecurity
         and exists (select 1 from pg_policy p where p.polrelid = c.oid)`,
    );
    expect(guarded.map((r) => r.t).sort()).toEqual(tables.sort());
  });

  it('refuses to write a row of another tenant from a transaction scoped to alpha', async () => {
    await expect(
      asApp({ 'app.tenant_id': 'alpha' }, (tx) =>
        tx.query(`insert into audit_events (tenant_id, at, actor, action) values ('beta', now(), 'attacker', 'forged')`),
      ),
    ).rejects.toThrow(/row-level security/);
  });

  it('cannot update or delete another tenant’s rows: they are invisible, so nothing changes', async () => {
    const touched = await asApp({ 'app.tenant_id': 'alpha' }, async (tx) => {
      const updated = await tx.query(`update api_keys set label = 'pwned' where tenant_id = 'beta' returning id`);
      const deleted = await tx.query(`delete from signing_keys where tenant_id = 'beta' returning kid`);
      return updated.length + deleted.length;
    });
    expect(touched).toBe(0);
  });

  it('sees every tenant only when a transaction deliberately asks for it', async () => {
    const owners = await asApp({ 'app.all_tenants': 'on' }, (tx) => tx.query<{ t: string }>('select tenant_id as t from signing_keys'));
    expect(new Set(owners.map((r) => r.t))).toEqual(new Set(['_platform', 'alpha', 'beta'].filter((x) => owners.some((r) => r.t === x))));
    expect(new Set(owners.map((r) => r.t))).toContain('beta');
  });
});
