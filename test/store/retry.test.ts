/**
 * retryingTransaction (src/store/retry.ts): a transaction PostgreSQL aborts as a deadlock is run
 * again rather than answered with a 500. The deadlock here is a real one between two sessions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryingTransaction } from '../../src/store/retry.ts';
import { freshPostgres, postgresAvailable, type TestDatabase } from '../support/databases.ts';
import { skipBecause } from '../support/skip.ts';

describe('retryingTransaction', () => {
  it('runs a transaction again after a deadlock or serialization failure, at most three times in all', async () => {
    for (const code of ['40P01', '40001']) {
      let calls = 0;
      const out = await retryingTransaction(async () => {
        if (++calls < 3) throw Object.assign(new Error('aborted'), { code });
        return 'done';
      });
      expect({ out, calls }).toEqual({ out: 'done', calls: 3 });
    }
    let calls = 0;
    await expect(
      retryingTransaction(async () => {
        calls++;
        throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      }),
    ).rejects.toThrow('deadlock detected');
    expect(calls).toBe(3);
  });

  it('passes any other failure straight through, once', async () => {
    let calls = 0;
    await expect(
      retryingTransaction(async () => {
        calls++;
        throw Object.assign(new Error('unique violation'), { code: '23505' });
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect(calls).toBe(1);
  });
});

describe.skipIf(
  skipBecause(
    !postgresAvailable(),
    'set TEST_POSTGRES_URL to a PostgreSQL 15 server this run may create databases on (.ci/run starts one)',
  ),
)('retryingTransaction on real PostgreSQL', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await freshPostgres({ migrated: false, max: 4 });
    await t.db.exec('create table slots (id integer primary key)');
  });
  afterAll(() => t.dispose());

  it('survives a real deadlock: both transactions end up committed', async () => {
    // Each session claims one row, then the other's: PostgreSQL aborts one of them (40P01).
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let arrived = 0;
    const meet = async () => {
      if (++arrived === 2) open();
      await gate;
    };
    const attempts = { a: 0, b: 0 };
    const claim = (name: 'a' | 'b', first: number, second: number) =>
      retryingTransaction(() =>
        t.db.transaction(async (tx) => {
          attempts[name]++;
          await tx.query('insert into slots (id) values ($1) on conflict do nothing', [first]);
          if (attempts[name] === 1) await meet();
          await tx.query('insert into slots (id) values ($1) on conflict do nothing', [second]);
          return name;
        }),
      );
    expect((await Promise.all([claim('a', 1, 2), claim('b', 2, 1)])).sort()).toEqual(['a', 'b']);
    expect(attempts.a + attempts.b).toBe(3);
    expect(await t.db.query('select id from slots order by id')).toEqual([{ id: 1 }, { id: 2 }]);
  });
});
