import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Database, Queryable } from '../../store/port.ts';
import { limitWasmCompileThreads, pgliteMemoryOptions } from './memory.ts';

function queryable(db: PGlite | Transaction): Queryable {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []) {
      const result = await db.query<Row>(text, params as unknown[]);
      return result.rows;
    },
    async exec(text: string) {
      await db.exec(text);
    },
  };
}

/** Wraps a PGlite instance (the embedded default) in the storage port. */
export function wrapPglite(db: PGlite): Database {
  const base = queryable(db);
  return {
    engine: 'pglite',
    query: base.query,
    exec: base.exec,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => db.transaction((tx) => fn(queryable(tx))),
    close: () => db.close(),
    // One embedded database in one process: the subscription never drops.
    listen: async (channel, onNotify, onConnect) => {
      const unlisten = await db.listen(channel, onNotify);
      onConnect();
      return () => unlisten();
    },
  };
}

/** Opens the embedded database kept in `dataDir` (or in memory when undefined). */
export async function openPglite(dataDir?: string): Promise<Database> {
  limitWasmCompileThreads();
  return wrapPglite(await PGlite.create({ ...pgliteMemoryOptions(), ...(dataDir === undefined ? {} : { dataDir }) }));
}
