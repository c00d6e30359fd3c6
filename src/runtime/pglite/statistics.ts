import type { Database } from '../../store/port.ts';

/**
 * How often the embedded database's planner statistics are refreshed while it serves. PGlite runs
 * PostgreSQL in single-user mode: no autovacuum, so no table is ever analysed unless we do it. A
 * plan made while a table is nearly empty (a foreign-key check, notably, whose plan is kept for the
 * session) scans the whole table and stays that way as the table grows: issuing 2,000 credentials
 * at a time, the statement that stores one went 1.9 -> 2.3 -> 2.6 -> 2.8 ms, and a served
 * data directory fell from 132 to 70 issuances/s between its first and second 20,000. With ANALYZE
 * between the rounds it stayed at 2.2-2.5 ms. ANALYZE samples a bounded number of rows per table
 * (about 0.1-0.3 s here), so every few minutes costs little.
 */
export const ANALYZE_EVERY_MS = 5 * 60_000;

/**
 * Analyses the embedded database every `everyMs`, as autovacuum would on PostgreSQL. Not at start:
 * a new database's tables are empty, and statistics saying so are worse than none (a table never
 * analysed is estimated from its current size). A failed run is reported and tried again at the
 * next tick. Returns what stops it.
 */
export function keepStatistics(db: Database, onError: (e: unknown) => void, everyMs = ANALYZE_EVERY_MS): { stop(): void } {
  const timer = setInterval(() => void db.exec('analyze').catch(onError), everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
