import postgres from 'postgres';
import type { Database, Queryable } from '../../store/port.ts';

type Sql = postgres.Sql | postgres.TransactionSql;

function queryable(sql: Sql): Queryable {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []) {
      const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[]);
      return rows as unknown as Row[];
    },
    async exec(text: string) {
      await sql.unsafe(text).simple();
    },
  };
}

/** Connections a pool opens at most unless told otherwise (the metrics report use against it). */
export const DEFAULT_POOL_MAX = 10;

export interface PostgresOptions {
  /** Pool size. Workers want a small one per request; Node a larger shared one. */
  readonly max?: number;
}

/**
 * The PostgreSQL adapter (porsager/postgres). Used on Node with DATABASE_URL and on Workers
 * through Hyperdrive, whose binding hands us an ordinary connection string.
 */
export function openPostgres(url: string, options: PostgresOptions = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? DEFAULT_POOL_MAX,
    onnotice: () => {},
    // The schema has no custom types; skipping the type lookup saves a round trip per connection.
    fetch_types: false,
    connection: { application_name: 'launchproof' },
  });
  const base = queryable(sql);
  return {
    engine: 'postgres',
    query: base.query,
    exec: base.exec,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => sql.begin((tx) => fn(queryable(tx))) as Promise<T>,
    close: () => sql.end({ timeout: 5 }),
  };
}
