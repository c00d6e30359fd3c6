/**
 * History for allocation tests and the history benchmark, written with set-based SQL instead of
 * one issuance at a time: the slots a list's first allocations took, exactly where issuance
 * would have put them (migrations/0009_status_slot_order.sql), with the cursors moved past them.
 */
import type { Database, Queryable } from '../../src/store/port.ts';

/**
 * Uses up the tenant's open list to `fraction` of its size, leaving `1 - fraction` of each
 * cursor's range, as if that many issuances had happened. The list must have its cursors (one
 * allocation gives it them). Returns how many slots it inserted.
 */
export async function fillOpenList(tx: Queryable, tenantId: string, fraction: number, at: Date): Promise<number> {
  const [row] = await tx.query<{ n: number }>(
    `with targets as (
       select c.list_id, c.stripe, c.next_n,
              greatest(c.next_n, c.stop_n - floor((1 - $2::float8) * l.size / (select count(*) from status_list_cursors k
                                                                               where k.tenant_id = c.tenant_id and k.list_id = c.list_id))::int) as target,
              l.slot_key, l.size
         from status_list_cursors c
         join status_lists l on l.tenant_id = c.tenant_id and l.id = c.list_id
        where c.tenant_id = $1 and l.full_at is null
     ), slots as (
       insert into status_slots (tenant_id, list_id, idx, allocated_at)
       select $1, t.list_id, status_slot_index(t.slot_key, n, t.size), $3
         from targets t, generate_series(t.next_n, t.target - 1) n
       returning 1
     ), moved as (
       update status_list_cursors c set next_n = t.target
         from targets t
        where c.tenant_id = $1 and c.list_id = t.list_id and c.stripe = t.stripe
       returning 1
     )
     select (select count(*) from slots)::int as n`,
    [tenantId, fraction, at],
  );
  return row!.n;
}

/** Statements one call made, and the table rows its scans read (EXPLAIN ANALYZE of each, replayed), by table. */
export interface Reads {
  readonly statements: number;
  readonly rowsRead: Readonly<Record<string, number>>;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Rows Removed by Join Filter'?: number;
  Plans?: PlanNode[];
}

/** Adds the rows a plan's scans of tables produced or filtered out, over all their loops, to `into`. */
function rowsScanned(node: PlanNode, into: Record<string, number>): void {
  const table = node['Relation Name'];
  if (table !== undefined && node['Node Type'].includes('Scan')) {
    const rows = (node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0);
    into[table] = (into[table] ?? 0) + rows * (node['Actual Loops'] ?? 1);
  }
  for (const p of node.Plans ?? []) rowsScanned(p, into);
}

class RolledBack extends Error {}

/**
 * Runs `work` in a transaction of `scope` that is rolled back, recording its statements; then
 * replays them, in another rolled-back transaction from the same state, under EXPLAIN ANALYZE.
 * Counts rows, not time: what a claim reads must not grow with what is stored.
 */
export async function readsOf(
  scope: (db: Database, fn: (tx: Queryable) => Promise<void>) => Promise<void>,
  db: Database,
  work: (tx: Queryable) => Promise<unknown>,
): Promise<Reads> {
  const recorded: { text: string; params: readonly unknown[] }[] = [];
  const rollback = async (fn: (tx: Queryable) => Promise<void>) => {
    try {
      await scope(db, async (tx) => {
        await fn(tx);
        throw new RolledBack();
      });
    } catch (e) {
      if (!(e instanceof RolledBack)) throw e;
    }
  };
  await rollback(async (tx) => {
    await work({
      ...tx,
      query: (text, params = []) => {
        recorded.push({ text, params });
        return tx.query(text, params);
      },
    });
  });
  const rowsRead: Record<string, number> = {};
  await rollback(async (tx) => {
    for (const { text, params } of recorded) {
      const [plan] = await tx.query<{ 'QUERY PLAN': { Plan: PlanNode }[] | string }>(`explain (analyze, format json) ${text}`, params);
      const json = plan!['QUERY PLAN'];
      rowsScanned((typeof json === 'string' ? (JSON.parse(json) as { Plan: PlanNode }[]) : json)[0]!.Plan, rowsRead);
    }
  });
  return { statements: recorded.length, rowsRead };
}
