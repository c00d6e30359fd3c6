/**
 * Slot allocation (src/status/allocate.ts) on each engine: spread at random over the tenant's
 * open list, never twice, in the issuing transaction, a new list once one is full; and a claim
 * whose cost does not depend on how many slots are taken.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey, importKeyEncryptionKey, type KeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { openPostgres } from '../../src/runtime/postgres/database.ts';
import { allocateSlot, type StatusSlot } from '../../src/status/allocate.ts';
import { STATUS_LIST_SIZE, STRIPES } from '../../src/status/lists.ts';
import type { Database, Queryable } from '../../src/store/port.ts';
import { acrossTenants, withTenant } from '../../src/store/tenant-scope.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { fillOpenList, readsOf } from '../support/slot-history.ts';
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
  const slotIndices = async (tenantId: string, listId?: string) =>
    new Set(
      (
        await withTenant(db, tenantId, (tx) =>
          tx.query<{ idx: number }>('select idx from status_slots where tenant_id = $1 and ($2::text is null or list_id = $2)', [
            tenantId,
            listId ?? null,
          ]),
        )
      ).map((r) => r.idx),
    );
  /** Backends of this database blocked on a lock (an issuance waiting for a cursor row). */
  const waitingOnLocks = async () => {
    const [row] = await db.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    return row!.n;
  };
  const until = async (condition: () => Promise<boolean>) => {
    while (!(await condition())) await new Promise((r) => setTimeout(r, 10));
  };
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

  it('hands out the last slots of a list, then closes it and opens the next one', async () => {
    const id = await tenant();
    const first = await allocate(id);
    // As if every issuance of the list had happened but the last two numbers of one cursor.
    await withTenant(db, id, (tx) => fillOpenList(tx, id, 1, NOW));
    const [freed] = await withTenant(db, id, (tx) =>
      tx.query<{ n: number }>(
        `with c as (
           select c.list_id, c.stripe, c.stop_n, l.slot_key, l.size
             from status_list_cursors c join status_lists l on l.tenant_id = c.tenant_id and l.id = c.list_id
            where c.tenant_id = $1 order by c.stripe limit 1
         ), freed as (
           delete from status_slots s using c
            where s.tenant_id = $1 and s.list_id = c.list_id
              and s.idx in (status_slot_index(c.slot_key, c.stop_n - 1, c.size), status_slot_index(c.slot_key, c.stop_n - 2, c.size))
           returning 1
         ), moved as (
           update status_list_cursors u set next_n = c.stop_n - 2 from c
            where u.tenant_id = $1 and u.list_id = c.list_id and u.stripe = c.stripe returning 1
         )
         select (select count(*) from freed)::int as n`,
        [id],
      ),
    );
    expect(freed!.n).toBe(2);
    const taken = await slotIndices(id, first.listId);
    expect(taken.size).toBe(STATUS_LIST_SIZE - 2);
    const a = await allocate(id);
    const b = await allocate(id);
    expect(new Set([a.listId, b.listId])).toEqual(new Set([first.listId]));
    expect(taken.has(a.index) || taken.has(b.index) || a.index === b.index).toBe(false);
    expect((await slotIndices(id, first.listId)).size).toBe(STATUS_LIST_SIZE);

    const next = await allocate(id);
    expect(next.listId).not.toBe(first.listId);
    const all = await lists(id);
    expect(all.map((l) => ({ id: l.id, seq: l.seq, full: l.full }))).toEqual([
      { id: first.listId, seq: 1, full: true },
      { id: next.listId, seq: 2, full: false },
    ]);
    // List ids are random, so they reveal nothing about how many lists (credentials) a tenant has.
    expect(next.listId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // The closed list's cursors are gone: a claim reads the open list's only.
    const cursors = await withTenant(db, id, (tx) =>
      tx.query<{ list_id: string; n: number }>(
        'select list_id, count(*)::int as n from status_list_cursors where tenant_id = $1 group by list_id',
        [id],
      ),
    );
    expect(cursors).toEqual([{ list_id: next.listId, n: STRIPES }]);
  });

  it('maps allocation numbers one to one onto the whole list, in an order that looks random', async () => {
    const id = await tenant();
    const { listId } = await allocate(id);
    const [whole] = await withTenant(db, id, (tx) =>
      tx.query<{ distinct: number; min: number; max: number }>(
        `select count(distinct i)::int as distinct, min(i) as min, max(i) as max
           from (select status_slot_index(l.slot_key, n, l.size) as i
                   from status_lists l, generate_series(0, l.size - 1) n where l.tenant_id = $1 and l.id = $2) p`,
        [id, listId],
      ),
    );
    expect(whole).toEqual({ distinct: STATUS_LIST_SIZE, min: 0, max: STATUS_LIST_SIZE - 1 });
    // The first 4,096 numbers, as a list's first issuances take them: spread over the whole list
    // (each sixteenth expects 256; sequential or clustered numbering would put them all in one).
    const first = (
      await withTenant(db, id, (tx) =>
        tx.query<{ i: number }>(
          `select status_slot_index(l.slot_key, n, l.size) as i
             from status_lists l, generate_series(0, 4095) n where l.tenant_id = $1 and l.id = $2 order by n`,
          [id, listId],
        ),
      )
    ).map((r) => r.i);
    const sixteenths = Array.from({ length: 16 }, (_, k) => first.filter((i) => Math.floor((i * 16) / STATUS_LIST_SIZE) === k).length);
    for (const inPart of sixteenths) expect(inPart).toBeGreaterThan(160);
    for (const inPart of sixteenths) expect(inPart).toBeLessThan(360);
    const ascendingSteps = first.slice(1).filter((v, i) => v > first[i]!).length;
    expect(ascendingSteps).toBeGreaterThan(1848);
    expect(ascendingSteps).toBeLessThan(2248);
    // Another list's key orders it differently.
    const other = await tenant();
    const otherList = (await allocate(other)).listId;
    const [again] = await withTenant(db, other, (tx) =>
      tx.query<{ i: number[] }>(
        `select array_agg(status_slot_index(l.slot_key, n, l.size) order by n) as i
           from status_lists l, generate_series(0, 63) n where l.tenant_id = $1 and l.id = $2`,
        [other, otherList],
      ),
    );
    expect(again!.i).not.toEqual(first.slice(0, 64));
  });

  it('claims a slot in one statement that never reads the slots already taken, whether the list is empty or 95% full', async () => {
    const id = await tenant();
    await allocate(id);
    const claim = (tx: Queryable) => allocateSlot(tx, id, NOW);
    const inScope = (d: Database, fn: (tx: Queryable) => Promise<void>) => withTenant(d, id, fn);
    const empty = await readsOf(inScope, db, claim);
    await withTenant(db, id, (tx) => fillOpenList(tx, id, 0.4, NOW));
    const tensOfThousands = await readsOf(inScope, db, claim);
    await withTenant(db, id, (tx) => fillOpenList(tx, id, 0.95, NOW));
    const nearlyFull = await readsOf(inScope, db, claim);
    expect((await slotIndices(id)).size).toBeGreaterThan(0.95 * STATUS_LIST_SIZE - STRIPES);
    // What the claim may read: the open list's row and cursors, or, where the planner finds a
    // whole scan cheaper, these two small tables (a row per list, STRIPES per open list), every
    // tenant's rows included: a scan reads the rows row-level security then hides. Which plan it
    // picks depends on statistics autovacuum gathers meanwhile, and a scan on the inside of a loop
    // counts once per loop (CI saw 353 rows with 166 in the two tables): so a generous multiple of
    // the small tables, never anything that grows with the slots taken.
    const [small] = await acrossTenants(db, (tx) =>
      tx.query<{ n: number }>(`select (select count(*) from status_lists) + (select count(*) from status_list_cursors) as n`),
    );
    // Before the cursors, one claim read every taken slot of the list: 50,002 rows with 50,000 taken.
    for (const reads of [empty, tensOfThousands, nearlyFull]) {
      expect(reads.statements).toBe(1);
      expect(reads.rowsRead.status_slots ?? 0).toBe(0);
      const total = Object.values(reads.rowsRead).reduce((a, b) => a + b, 0);
      expect(total).toBeLessThanOrEqual(4 * Math.max(Number(small!.n), 2 * STRIPES) + 64);
    }
  });

  it('keeps serving a list filled at random before the cursors existed, skipping the slots it already gave out', async () => {
    const id = await tenant();
    const first = await allocate(id);
    // A list as migration 9 finds it: no cursors, a tenth of its slots taken at random.
    await withTenant(db, id, (tx) => tx.query('delete from status_list_cursors where tenant_id = $1', [id]));
    await withTenant(db, id, (tx) =>
      tx.query(
        `insert into status_slots (tenant_id, list_id, idx, allocated_at)
         select $1, $2, g, $3 from generate_series(0, $4::int - 1) g where g <> $5 and g % 10 = 3`,
        [id, first.listId, NOW, STATUS_LIST_SIZE, first.index],
      ),
    );
    const before = await slotIndices(id, first.listId);
    const got = [];
    for (let i = 0; i < 100; i++) got.push(await allocate(id));
    expect(new Set(got.map((g) => g.listId))).toEqual(new Set([first.listId]));
    expect(new Set(got.map((g) => g.index)).size).toBe(100);
    for (const g of got) expect(before.has(g.index)).toBe(false);
    const [cursors] = await withTenant(db, id, (tx) =>
      tx.query<{ n: number }>('select count(*)::int as n from status_list_cursors where tenant_id = $1', [id]),
    );
    expect(cursors!.n).toBe(STRIPES);
  });

  it('gives concurrent allocations distinct slots', async () => {
    const id = await tenant();
    const slots = await Promise.all(Array.from({ length: 64 }, () => allocate(id)));
    expect(new Set(slots.map((s) => `${s.listId}/${s.index}`)).size).toBe(64);
    expect((await slotIndices(id)).size).toBe(64);
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

  it.skipIf(skipBecause(engine !== 'postgres', 'two service instances need real PostgreSQL'))(
    'gives distinct slots to concurrent issuances through two service instances',
    async () => {
      const id = await tenant();
      const second = openPostgres(t.url!, { max: 10 });
      try {
        const slots = await Promise.all(
          Array.from({ length: 200 }, (_, n) => {
            const instance = n % 2 === 0 ? db : second;
            return withTenant(instance, id, (tx) => allocateSlot(tx, id, NOW));
          }),
        );
        expect(new Set(slots.map((s) => `${s.listId}/${s.index}`)).size).toBe(200);
        expect((await slotIndices(id)).size).toBe(200);
      } finally {
        await second.close();
      }
    },
  );

  it.skipIf(skipBecause(engine !== 'postgres', 'transactions held open side by side need real PostgreSQL'))(
    'lets issuances of one tenant claim side by side, waits only when every cursor is held, and never holds up another tenant',
    async () => {
      const id = await tenant();
      const other = await tenant();
      await allocate(id);
      await allocate(other);
      /** An issuance that has claimed its slot and stays uncommitted until released. */
      const held = () => {
        let release!: () => void;
        const released = new Promise<void>((r) => (release = r));
        let claimed!: (s: StatusSlot) => void;
        const slot = new Promise<StatusSlot>((r) => (claimed = r));
        const done = withTenant(db, id, async (tx) => {
          claimed(await allocateSlot(tx, id, NOW));
          await released;
        });
        return { slot, release, done };
      };
      // Two issuances of the tenant hold their claims; a third claims and commits meanwhile.
      const [one, two] = [held(), held()];
      const [a, b] = await Promise.all([one.slot, two.slot]);
      const c = await allocate(id);
      expect(new Set([a.index, b.index, c.index]).size).toBe(3);

      // Every cursor of the tenant held by another transaction: the next claim waits for one.
      let unlock!: () => void;
      const unlocked = new Promise<void>((r) => (unlock = r));
      let locked!: () => void;
      const allLocked = new Promise<void>((r) => (locked = r));
      const holder = withTenant(db, id, async (tx) => {
        await tx.query('select 1 from status_list_cursors where tenant_id = $1 for update', [id]);
        locked();
        await unlocked;
      });
      // The held issuances hold two cursor rows; commit them first so the holder can take all.
      one.release();
      two.release();
      await Promise.all([one.done, two.done]);
      await allLocked;
      const waiting = allocate(id);
      await until(async () => (await waitingOnLocks()) > 0);
      // Another tenant's issuance is not held up by any of this.
      const elsewhere = await allocate(other);
      expect(elsewhere.listId).not.toBe(a.listId);
      unlock();
      await holder;
      const d = await waiting;
      expect(new Set([a.index, b.index, c.index, d.index]).size).toBe(4);
      expect((await slotIndices(id)).size).toBe(5);
    },
  );

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
