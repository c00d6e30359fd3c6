import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepStatistics } from '../../src/runtime/pglite/statistics.ts';
import { DEFAULT_KEY_POLICY } from '../../src/keys/policy.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';

/** The planner's row estimate of a table: -1 until the table is first analysed. */
async function estimatedRows(t: TestDatabase, table: string): Promise<number> {
  const [row] = await t.db.query<{ n: number }>('select reltuples::float8 as n from pg_class where relname = $1', [table]);
  return row!.n;
}

/**
 * The embedded database has no autovacuum: unanalysed, its tables keep plans made while they were
 * empty (whole-table scans that grow with history), so the server analyses it itself.
 */
describe('planner statistics of the embedded database', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await freshPglite();
  });
  afterAll(() => t?.dispose());

  it('are made while it serves, and follow the tables as they grow', async () => {
    expect(await estimatedRows(t, 'tenants')).toBe(-1);
    const errors: unknown[] = [];
    const statistics = keepStatistics(t.db, (e) => errors.push(e), 100);
    try {
      await expect.poll(() => estimatedRows(t, 'tenants'), { timeout: 5_000, interval: 50 }).toBeGreaterThanOrEqual(0);
      for (let i = 0; i < 40; i++) {
        await t.db.query('insert into tenants (id, name, key_policy, created_at) values ($1, $2, $3, now())', [
          `tenant-${i}`,
          `Tenant ${i}`,
          DEFAULT_KEY_POLICY,
        ]);
      }
      await expect.poll(() => estimatedRows(t, 'tenants'), { timeout: 5_000, interval: 50 }).toBeGreaterThanOrEqual(40);
      expect(errors).toEqual([]);
    } finally {
      statistics.stop();
    }
  });
});
