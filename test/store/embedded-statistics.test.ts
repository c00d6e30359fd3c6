import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseChangedTables, keepStatistics } from '../../src/runtime/pglite/statistics.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { readinessAssessment } from '../http/helpers.ts';

/** The planner's row estimate of a table: -1 until the table is first analysed. */
async function estimatedRows(t: TestDatabase, table: string): Promise<number> {
  const [row] = await t.db.query<{ n: number }>('select reltuples::float8 as n from pg_class where relname = $1', [table]);
  return row!.n;
}

/**
 * The plan PostgreSQL keeps for the foreign-key check a credential row makes against its
 * attestation (the query is the one ri_triggers.c writes), as a generic plan, the kind it caches.
 */
async function attestationCheckPlan(t: TestDatabase): Promise<string> {
  await t.db.exec(`set plan_cache_mode = force_generic_plan;
    prepare attestation_check (text, uuid) as
      select 1 from only public.attestations x where tenant_id operator(pg_catalog.=) $1 and id operator(pg_catalog.=) $2 for key share of x`);
  try {
    const rows = await t.db.query<{ 'QUERY PLAN': string }>(`explain execute attestation_check ('acme', gen_random_uuid())`);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    await t.db.exec('deallocate attestation_check; reset plan_cache_mode');
  }
}

/**
 * The embedded database has no autovacuum: unanalysed, its tables keep plans made while they were
 * empty (scans that grow with history), so the server analyses what changed, as autovacuum would.
 */
describe('planner statistics of the embedded database', () => {
  let t: TestDatabase;
  let h: Harness;
  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
  });
  afterAll(() => t?.dispose());

  it('leave a table that barely changed unanalysed, so an empty table is not taken for one that stays empty', async () => {
    expect(await analyseChangedTables(t.db)).toEqual([]);
    expect(await estimatedRows(t, 'attestations')).toBe(-1);
    expect(await estimatedRows(t, 'tenants')).toBe(-1);
  });

  it('are made once issuance has filled a table, and give the foreign-key check of each credential the unique index', async () => {
    const body = { assessment: readinessAssessment(), formats: ['vc+jwt'] };
    for (let i = 0; i < 60; i++) {
      const res = await h.request('POST', '/v1/t/acme/attestations', { token: h.adminToken, body });
      expect(res.status).toBe(201);
    }
    const analysed = await analyseChangedTables(t.db);
    expect(analysed).toEqual(expect.arrayContaining(['public.attestations', 'public.credentials', 'public.assessments']));
    expect(analysed).not.toContain('public.tenants');
    expect(await estimatedRows(t, 'attestations')).toBe(60);
    // Not every attestation of the tenant through an index that merely starts with tenant_id, the
    // plan it had before (a scan that grew with history): at 60 rows a sequential scan of two
    // pages, and the unique (tenant_id, id) index once the table is large.
    const plan = await attestationCheckPlan(t);
    expect(plan).not.toMatch(/attestations_tenant_(subject|issued)/);
    expect(plan).toMatch(/Seq Scan on attestations|Index (Only )?Scan using attestations_tenant_id_id_key/);
    // Analysed, they are not analysed again until they change by 10% more.
    expect(await analyseChangedTables(t.db)).toEqual([]);
  });

  it('are kept by the server on its own, checked on a timer', async () => {
    const errors: unknown[] = [];
    const before = await estimatedRows(t, 'audit_events');
    for (let i = 0; i < 60; i++) {
      const res = await h.request('POST', '/v1/t/acme/attestations', {
        token: h.adminToken,
        body: { assessment: readinessAssessment(), formats: ['vc+jwt'] },
      });
      expect(res.status).toBe(201);
    }
    const statistics = keepStatistics(t.db, (e) => errors.push(e), 100);
    try {
      await expect.poll(() => estimatedRows(t, 'attestations'), { timeout: 5_000, interval: 50 }).toBe(120);
      expect(await estimatedRows(t, 'audit_events')).toBeGreaterThan(before);
      expect(errors).toEqual([]);
    } finally {
      await statistics.stop();
    }
  });
});
