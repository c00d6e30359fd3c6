/**
 * Defect 12: row-level security is the second wall between tenants, and a superuser walks
 * through it. PGlite runs every query as its superuser and the test servers connect as one, so
 * these tests connect exactly as a careless deployment would: the wall must still hold, because
 * every tenant transaction drops to the unprivileged tenant role.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/port.ts';
import { acrossTenants, TENANT_ROLE, withTenant } from '../../src/store/tenant-scope.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness } from '../support/harness.ts';
import { readinessAssessment } from '../http/helpers.ts';

describe.each(engines())('tenant transactions run as the unprivileged tenant role on $engine', ({ open }) => {
  let t: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    t = await open();
    db = t.db;
    const h = await harness(db);
    for (const id of ['acme', 'globex']) {
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: id } })).status).toBe(201);
      const res = await h.request('POST', `/v1/t/${id}/attestations`, {
        token: h.adminToken,
        body: { assessment: readinessAssessment(), formats: ['vc+jwt', 'dc+sd-jwt'] },
      });
      expect(res.status).toBe(201);
    }
  });
  afterAll(() => t.dispose());

  it('a query that forgets its tenant filter sees only its own tenant’s credentials, though the connection is a superuser', async () => {
    const [me] = await db.query<{ rolsuper: boolean }>('select rolsuper from pg_roles where rolname = current_user');
    expect(me!.rolsuper).toBe(true);
    // Deliberately no `where tenant_id = ...`: only row-level security stands between acme and globex.
    const rows = await withTenant(db, 'acme', (tx) => tx.query<{ tenant_id: string }>('select tenant_id from credentials'));
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.tenant_id))).toEqual(new Set(['acme']));
    // Both tenants' rows exist: the filter above is the policy's doing, not an empty table.
    const all = await acrossTenants(db, (tx) => tx.query<{ tenant_id: string }>('select distinct tenant_id from credentials'));
    expect(new Set(all.map((r) => r.tenant_id))).toEqual(new Set(['acme', 'globex']));
  });

  it('a tenant transaction cannot write another tenant’s row, nor read the view over two tables', async () => {
    await expect(
      withTenant(db, 'acme', (tx) =>
        tx.query(`insert into audit_events (tenant_id, at, actor, action) values ('globex', now(), 'attacker', 'forged')`),
      ),
    ).rejects.toThrow(/row-level security/);
    const slots = await withTenant(db, 'acme', (tx) => tx.query<{ tenant_id: string }>('select tenant_id from attestation_slots'));
    expect(slots.length).toBeGreaterThan(0);
    expect(new Set(slots.map((r) => r.tenant_id))).toEqual(new Set(['acme']));
  });

  it('runs as a role that is no superuser, bypasses no policy and owns nothing', async () => {
    const [inside] = await withTenant(db, 'acme', (tx) =>
      tx.query<{ role: string; rolsuper: boolean; rolbypassrls: boolean; owned: number }>(
        `select current_user as role, r.rolsuper, r.rolbypassrls,
                (select count(*)::int from pg_class c where c.relowner = r.oid) as owned
           from pg_roles r where r.rolname = current_user`,
      ),
    );
    expect(inside).toEqual({ role: TENANT_ROLE, rolsuper: false, rolbypassrls: false, owned: 0 });
  });

  it('may not read or change the migration history', async () => {
    await expect(withTenant(db, 'acme', (tx) => tx.query('select version from schema_migrations'))).rejects.toThrow(/permission denied/);
  });

  it('holds the role for exactly one transaction: the connection is itself again afterwards', async () => {
    await withTenant(db, 'acme', (tx) => tx.query('select 1'));
    const [after] = await db.query<{ role: string }>('select current_user as role');
    expect(after!.role).not.toBe(TENANT_ROLE);
  });

  it('leaves operations across tenants on the connecting role, which sees every tenant only when it asks', async () => {
    const [role] = await acrossTenants(db, (tx) => tx.query<{ role: string }>('select current_user as role'));
    expect(role!.role).not.toBe(TENANT_ROLE);
  });

  it('grants the tenant role every table a tenant transaction may touch, so a new table cannot be forgotten', async () => {
    const missing = await db.query<{ t: string }>(
      `select c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'v')
          and c.relname not in ('schema_migrations', 'publication_versions', 'log_entries', 'log_tiles',
                                'outbox_events', 'webhook_deliveries', 'webhooks', 'evidence_expiries', 'expiry_notices')
          and not (has_table_privilege($1, c.oid, 'select') and (c.relkind = 'v' or (
                   has_table_privilege($1, c.oid, 'insert') and has_table_privilege($1, c.oid, 'update')
                   and has_table_privilege($1, c.oid, 'delete'))))`,
      [TENANT_ROLE],
    );
    expect(missing).toEqual([]);
  });

  it('lets the tenant role append to the logs and sequence entries, but never rewrite or delete an entry or a tile', async () => {
    const may = (table: string, privilege: string) =>
      db.query<{ ok: boolean }>(`select has_table_privilege($1, $2, $3) as ok`, [TENANT_ROLE, table, privilege]).then((r) => r[0]!.ok);
    for (const table of ['log_entries', 'log_tiles']) {
      expect(await may(table, 'select')).toBe(true);
      expect(await may(table, 'insert')).toBe(true);
      expect(await may(table, 'delete')).toBe(false);
      expect(await may(table, 'truncate')).toBe(false);
    }
    expect(await may('log_tiles', 'update')).toBe(false);
    const column = (name: string) =>
      db
        .query<{ ok: boolean }>(`select has_column_privilege($1, 'log_entries', $2, 'update') as ok`, [TENANT_ROLE, name])
        .then((r) => r[0]!.ok);
    expect(await column('idx')).toBe(true);
    for (const name of ['body', 'type', 'attestation_id', 'at', 'tenant_id']) expect(await column(name)).toBe(false);
  });

  it('lets the tenant role index evidence expiries and move their reminder on, but never change or delete what was indexed', async () => {
    const may = (privilege: string, column?: string) =>
      db
        .query<{ ok: boolean }>(
          column === undefined ? 'select has_table_privilege($1, $2, $3) as ok' : 'select has_column_privilege($1, $2, $4, $3) as ok',
          column === undefined ? [TENANT_ROLE, 'evidence_expiries', privilege] : [TENANT_ROLE, 'evidence_expiries', privilege, column],
        )
        .then((r) => r[0]!.ok);
    expect(await may('select')).toBe(true);
    expect(await may('insert')).toBe(true);
    expect(await may('update', 'reminded_days')).toBe(true);
    expect(await may('update', 'expires_at')).toBe(false);
    for (const privilege of ['update', 'delete', 'truncate']) expect(await may(privilege)).toBe(false);
  });

  it('lets the tenant role place webhook events, buyers’ expiry notices and attempts but never change or delete one, and never delete an endpoint', async () => {
    const may = (table: string, privilege: string) =>
      db.query<{ ok: boolean }>(`select has_table_privilege($1, $2, $3) as ok`, [TENANT_ROLE, table, privilege]).then((r) => r[0]!.ok);
    // A buyer's expiry notice is recorded as placed, once, and never unplaced.
    for (const table of ['outbox_events', 'webhook_deliveries', 'expiry_notices']) {
      expect(await may(table, 'select')).toBe(true);
      expect(await may(table, 'insert')).toBe(true);
      for (const privilege of ['update', 'delete', 'truncate']) expect(await may(table, privilege)).toBe(false);
    }
    for (const privilege of ['select', 'insert', 'update']) expect(await may('webhooks', privilege)).toBe(true);
    // Deleted endpoints stay (marked deleted): their attempts in the delivery log point at them.
    expect(await may('webhooks', 'delete')).toBe(false);
  });

  it('lets the tenant role read publication versions but never write them: only the triggers of a change do', async () => {
    const may = (privilege: string) =>
      db.query<{ ok: boolean }>(`select has_table_privilege($1, 'publication_versions', $2) as ok`, [TENANT_ROLE, privilege]);
    expect((await may('select'))[0]!.ok).toBe(true);
    for (const privilege of ['insert', 'update', 'delete']) expect((await may(privilege))[0]!.ok).toBe(false);
  });
});
