import type { Database, Queryable } from '../../../store/port.ts';

/**
 * Database pool use, as the service sees it. Neither postgres.js nor PGlite reports its pool, so
 * the port is wrapped: every statement outside a transaction and every transaction holds one
 * connection while it runs, and those beyond the pool size are waiting for one.
 */
export interface PoolUsage {
  readonly size: number;
  readonly inUse: number;
  readonly waiting: number;
}

export function withPoolUsage(db: Database, size: number): { db: Database; usage: () => PoolUsage } {
  let running = 0;
  const held = async <T>(work: () => Promise<T>): Promise<T> => {
    running++;
    try {
      return await work();
    } finally {
      running--;
    }
  };
  const wrapped: Database = {
    ...db,
    query: <Row>(text: string, params?: readonly unknown[]) => held(() => db.query<Row>(text, params)),
    exec: (text: string) => held(() => db.exec(text)),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => held(() => db.transaction(fn)),
    close: () => db.close(),
  };
  return {
    db: wrapped,
    usage: () => ({ size, inUse: Math.min(running, size), waiting: Math.max(0, running - size) }),
  };
}
