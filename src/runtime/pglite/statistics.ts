import type { Database } from '../../store/port.ts';

/*
 * Planner statistics for the embedded database. PGlite runs PostgreSQL in single-user mode: no
 * autovacuum, so no table is ever analysed unless we do it. A plan made while a table is nearly
 * empty stays that way as the table grows. The foreign-key check of a credential row against its
 * attestation is the case that hurts: with no statistics, every index on attestations that starts
 * with tenant_id costs the same as the unique one, and the planner took (tenant_id, subject_name),
 * reading every attestation of the tenant per issuance (EXPLAIN of the check's generic plan).
 * Issuing 2,000 credentials at a time, the statement that stores one went 1.9 -> 2.3 -> 2.6 ->
 * 2.8 ms; with ANALYZE between the rounds it stayed at 2.2-2.5 ms.
 *
 * So the server does what autovacuum would: every CHECK_EVERY_MS it analyses each table changed
 * by more than 50 rows + 10% of its size since it was last analysed (autovacuum's own default
 * thresholds). Not on a timer regardless of change: a new database's tables are empty, and
 * statistics saying so are worse than none (a table never analysed is estimated from its current
 * size); and a table that did not change keeps the statistics it has. ANALYZE samples a bounded
 * number of rows per table (about 0.1-0.3 s for the largest here), on the event loop, so it runs
 * only where it pays.
 */

/** How often the tables' change counters are read: autovacuum's naptime is 60 s; half that, since a fresh table fills fast. */
export const CHECK_EVERY_MS = 30_000;

// autovacuum_analyze_threshold and autovacuum_analyze_scale_factor at their defaults. reltuples is
// -1 until a table is first analysed.
const CHANGED_TABLES = `
  select quote_ident(s.schemaname) || '.' || quote_ident(s.relname) as name
    from pg_stat_user_tables s join pg_class c on c.oid = s.relid
   where s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
   order by s.relname`;

/** Analyses each table changed enough since its last analysis; returns their names. */
export async function analyseChangedTables(db: Database): Promise<string[]> {
  // PGlite hands its table counters to the statistics system lazily (every few seconds at most);
  // forced, they are handed over as this statement ends, before the next one reads them.
  await db.query('select pg_stat_force_next_flush()');
  const changed = await db.query<{ name: string }>(CHANGED_TABLES);
  for (const { name } of changed) await db.exec(`analyze ${name}`);
  return changed.map((t) => t.name);
}

/**
 * Keeps the embedded database's statistics current while it serves, checking every `everyMs`. A
 * failed run is reported and tried again at the next tick; runs never overlap. Returns what stops
 * it, which resolves once a run in progress has finished.
 */
export function keepStatistics(db: Database, onError: (e: unknown) => void, everyMs = CHECK_EVERY_MS): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = analyseChangedTables(db)
      .then(() => undefined, onError)
      .finally(() => (running = undefined));
  }, everyMs);
  timer.unref();
  // Stopped before the database closes: a run in progress finishes first, so it never reports
  // statements refused by a database that closed under it.
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
