/**
 * Migration 9 over lists filled at random before it: each list gets its own secret order, a list
 * still under half full keeps serving (without handing out a slot it already gave), and one half
 * full or more is closed so the next issuance opens a new list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { allocateSlot } from '../../src/status/allocate.ts';
import { migrate } from '../../src/store/migrations.ts';
import type { Database } from '../../src/store/port.ts';
import { acrossTenants, withTenant } from '../../src/store/tenant-scope.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { emptyEngines, migrateThrough, type EmptyDatabase, dropLogStandIn, standInLogTable } from '../support/databases.ts';

const NOW = new Date('2026-02-01T00:00:00Z');
const SIZE = 131072;
/** Lists as version 8 made them: ids of 22 url-safe characters, no key, no cursors. */
const QUIET = 'quietquietquietquiet00';
const BUSY = 'busybusybusybusybusy00';

describe.each(emptyEngines())('migration 9 over lists filled at random, on $engine', ({ open }) => {
  let t: EmptyDatabase;
  let db: Database;
  const legacy: Record<string, Set<number>> = {};

  beforeAll(async () => {
    t = await open();
    db = t.db;
    const files = await migrateThrough(db, 8);
    await standInLogTable(db);
    const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
    for (const id of ['quiet', 'busy']) await createTenant({ db, kek, now: NOW, actor: 'test' }, { id, name: id });
    // quiet: a tenth of its list taken at random; busy: six tenths.
    for (const [tenant, list, share] of [
      ['quiet', QUIET, 0.1],
      ['busy', BUSY, 0.6],
    ] as const) {
      const rows = await acrossTenants(db, async (tx) => {
        await tx.query('insert into status_lists (tenant_id, id, seq, size, created_at) values ($1, $2, 1, $3, $4)', [
          tenant,
          list,
          SIZE,
          NOW,
        ]);
        return tx.query<{ idx: number }>(
          `insert into status_slots (tenant_id, list_id, idx, allocated_at)
           select $1, $2, g, $4 from generate_series(0, $3::int - 1) g where random() < $5
           returning idx`,
          [tenant, list, SIZE, NOW, share],
        );
      });
      legacy[tenant] = new Set(rows.map((r) => r.idx));
    }
    await dropLogStandIn(db);
    await migrate(db, files);
  });
  afterAll(() => t?.dispose());

  const allocate = (tenant: string) => withTenant(db, tenant, (tx) => allocateSlot(tx, tenant, NOW));
  const lists = (tenant: string) =>
    withTenant(db, tenant, (tx) =>
      tx.query<{ id: string; seq: number; full: boolean; key_bytes: number }>(
        'select id, seq, full_at is not null as full, octet_length(slot_key) as key_bytes from status_lists where tenant_id = $1 order by seq',
        [tenant],
      ),
    );

  it('gives every existing list a key of its own', async () => {
    const keys = await acrossTenants(db, (tx) => tx.query<{ k: string }>(`select encode(slot_key, 'hex') as k from status_lists`));
    expect(keys).toHaveLength(2);
    expect(new Set(keys.map((r) => r.k)).size).toBe(2);
    for (const { k } of keys) expect(k).toHaveLength(64);
  });

  it('keeps a list under half full serving, never handing out a slot it gave before', async () => {
    const got = [];
    for (let i = 0; i < 200; i++) got.push(await allocate('quiet'));
    expect(new Set(got.map((g) => g.listId))).toEqual(new Set([QUIET]));
    expect(new Set(got.map((g) => g.index)).size).toBe(200);
    for (const g of got) expect(legacy.quiet!.has(g.index)).toBe(false);
    expect((await lists('quiet')).map((l) => ({ id: l.id, full: l.full }))).toEqual([{ id: QUIET, full: false }]);
  });

  it('closes a list half full or more, and the next issuance opens a new one', async () => {
    expect((await lists('busy')).map((l) => ({ id: l.id, full: l.full }))).toEqual([{ id: BUSY, full: true }]);
    const slot = await allocate('busy');
    expect(slot.listId).not.toBe(BUSY);
    expect((await lists('busy')).map((l) => ({ seq: l.seq, full: l.full, key_bytes: l.key_bytes }))).toEqual([
      { seq: 1, full: true, key_bytes: 32 },
      { seq: 2, full: false, key_bytes: 32 },
    ]);
  });
});
