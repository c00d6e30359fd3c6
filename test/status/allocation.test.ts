/**
 * Slot allocation (src/status/allocate.ts) on each engine: random among the unused slots of the
 * tenant's open list, never twice, in the issuing transaction, and a new list once one is full.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey, importKeyEncryptionKey, type KeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { allocateSlot } from '../../src/status/allocate.ts';
import { STATUS_LIST_SIZE } from '../../src/status/lists.ts';
import type { Database, Queryable } from '../../src/store/port.ts';
import { withTenant } from '../../src/store/tenant-scope.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { skipBecause } from '../support/skip.ts';

const NOW = new Date('2026-03-01T00:00:00Z');

describe.each(engines())('status slot allocation on $engine', ({ engine, open }) => {
  let t: TestDatabase;
  let db: Database;
  let kek: KeyEncryptionKey;
  let n = 0;

  beforeAll(async () => {
    t = await open();
    db = t.db;
    kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
  });
  afterAll(() => t.dispose());

  async function tenant(): Promise<string> {
    const id = `slots-${++n}`;
    await createTenant({ db, kek, now: NOW, actor: 'test' }, { id, name: id });
    return id;
  }
  const allocate = (tenantId: string) => withTenant(db, tenantId, (tx) => allocateSlot(tx, tenantId, NOW));
  const lists = (tenantId: string) =>
    withTenant(db, tenantId, (tx) =>
      tx.query<{ id: string; seq: number; size: number; full: boolean }>(
        'select id, seq, size, full_at is not null as full from status_lists where tenant_id = $1 order by seq',
        [tenantId],
      ),
    );

  it('hands out distinct slots at random across the whole list, so an index says nothing about issuance order', async () => {
    const id = await tenant();
    const slots = [];
    for (let i = 0; i < 200; i++) slots.push(await allocate(id));
    const [list] = await lists(id);
    expect(list!.size).toBe(STATUS_LIST_SIZE);
    expect(new Set(slots.map((s) => s.listId))).toEqual(new Set([list!.id]));
    const indices = slots.map((s) => s.index);
    expect(new Set(indices).size).toBe(200);
    expect(indices.every((i) => Number.isInteger(i) && i >= 0 && i < STATUS_LIST_SIZE)).toBe(true);
    // Sequential or clustered allocation would fail these; 200 uniform draws pass them with overwhelming odds.
    expect(indices).not.toEqual([...indices].sort((a, b) => a - b));
    const quarters = [0, 1, 2, 3].map((q) => indices.filter((i) => Math.floor((i * 4) / STATUS_LIST_SIZE) === q).length);
    for (const inQuarter of quarters) expect(inQuarter).toBeGreaterThan(20);
    const ascendingSteps = indices.slice(1).filter((v, i) => v > indices[i]!).length;
    expect(ascendingSteps).toBeGreaterThan(60);
    expect(ascendingSteps).toBeLessThan(140);
  });

  it('gives a slot back when the issuing transaction rolls back', async () => {
    const id = await tenant();
    let claimed: number | undefined;
    await expect(
      withTenant(db, id, async (tx) => {
        claimed = (await allocateSlot(tx, id, NOW)).index;
        throw new Error('signing failed');
      }),
    ).rejects.toThrow('signing failed');
    expect(claimed).toBeDefined();
    const rows = await withTenant(db, id, (tx) => tx.query('select idx from status_slots where tenant_id = $1', [id]));
    expect(rows).toEqual([]);
  });

  it('finds the last free slots of a nearly full list, then closes it and opens the next one', async () => {
    const id = await tenant();
    const first = await allocate(id);
    // Everything but two slots taken: random guesses almost never hit those, so this is the free-slot search.
    const free = [17, STATUS_LIST_SIZE - 3].filter((i) => i !== first.index);
    await withTenant(db, id, (tx) =>
      tx.query(
        `insert into status_slots (tenant_id, list_id, idx, allocated_at)
         select $1, $2, g, $3 from generate_series(0, $4::int - 1) g
          where g <> $5 and not (g = any (select value::int from jsonb_array_elements_text($6::jsonb)))`,
        [id, first.listId, NOW, STATUS_LIST_SIZE, first.index, free],
      ),
    );
    const a = await allocate(id);
    const b = await allocate(id);
    expect(new Set([a.listId, b.listId])).toEqual(new Set([first.listId]));
    expect([a.index, b.index].sort((x, y) => x - y)).toEqual(free.slice(0, 2).sort((x, y) => x - y));

    const next = await allocate(id);
    expect(next.listId).not.toBe(first.listId);
    const all = await lists(id);
    expect(all.map((l) => ({ id: l.id, seq: l.seq, full: l.full }))).toEqual([
      { id: first.listId, seq: 1, full: true },
      { id: next.listId, seq: 2, full: false },
    ]);
    // List ids are random, so they reveal nothing about how many lists (credentials) a tenant has.
    expect(next.listId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  // Two sessions at once need a real server: PGlite runs one transaction at a time.
  it.skipIf(
    skipBecause(engine !== 'postgres', 'PGlite runs one transaction at a time: the race between two issuers needs real PostgreSQL'),
  )('joins the first list another issuer opened meanwhile instead of opening a second one', async () => {
    const id = await tenant();
    let resume!: () => void;
    const otherCommitted = new Promise<void>((r) => (resume = r));
    let paused = false;
    // This issuer finds no open list, then waits while another issuer opens the first one and commits.
    const late = withTenant(db, id, (tx) => {
      const pausing: Queryable = {
        ...tx,
        query: async (text, params) => {
          const rows = await tx.query(text, params);
          if (!paused && text.includes('full_at is null order by seq')) {
            paused = true;
            await otherCommitted;
          }
          return rows as never;
        },
      };
      return allocateSlot(pausing, id, NOW);
    });
    while (!paused) await new Promise((r) => setTimeout(r, 5));
    const early = await allocate(id);
    resume();
    const joined = await late;
    expect(joined.listId).toBe(early.listId);
    expect((await lists(id)).map((l) => ({ seq: l.seq, full: l.full }))).toEqual([{ seq: 1, full: false }]);
  });

  it('keeps each tenant’s lists to itself', async () => {
    const a = await tenant();
    const b = await tenant();
    const slotA = await allocate(a);
    const slotB = await allocate(b);
    expect(slotA.listId).not.toBe(slotB.listId);
    expect((await lists(a)).map((l) => l.id)).toEqual([slotA.listId]);
    expect((await lists(b)).map((l) => l.id)).toEqual([slotB.listId]);
  });
});
