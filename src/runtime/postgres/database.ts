import postgres from 'postgres';
import type { Database, Queryable } from '../../store/port.ts';
import { asStorageError } from './unavailable.ts';

type Sql = postgres.Sql | postgres.TransactionSql;

function queryable(sql: Sql, prepare: boolean): Queryable {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []) {
      try {
        // Prepared (named, cached per connection): without it postgres.js sends every statement
        // with parameters twice, a Parse/Describe to learn the parameter types and then the
        // Bind/Execute, two round trips that cannot be pipelined. Prepared, a statement seen
        // before on the connection is one Bind/Execute, pipelined with those queued behind it,
        // and PostgreSQL parses and plans it once. The SQL texts are a fixed set, so the cache
        // stays small. Off only behind a pooler that cannot keep them (PostgresOptions.prepare).
        const rows = await sql.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare });
        return rows as unknown as Row[];
      } catch (e) {
        throw asStorageError(e);
      }
    },
    async exec(text: string) {
      await sql
        .unsafe(text)
        .simple()
        .catch((e: unknown) => {
          throw asStorageError(e);
        });
    },
  };
}

/** Connections a pool opens at most unless told otherwise (the metrics report use against it). */
export const DEFAULT_POOL_MAX = 10;

export interface PostgresOptions {
  /** Pool size. Workers want a small one per request; Node a larger shared one. */
  readonly max?: number;
  /**
   * Send statements prepared (the default). Off for a pooler that hands one client's statements
   * to several server sessions, which cannot keep a prepared statement between them (PgBouncer
   * in transaction mode without max_prepared_statements); each statement then costs a round
   * trip more. Hyperdrive keeps them.
   */
  readonly prepare?: boolean;
}

/**
 * The PostgreSQL adapter (porsager/postgres). Used on Node with DATABASE_URL and on Workers
 * through Hyperdrive, whose binding hands us an ordinary connection string.
 */
export function openPostgres(url: string, options: PostgresOptions = {}): Database {
  const prepare = options.prepare ?? true;
  const sql = postgres(url, {
    max: options.max ?? DEFAULT_POOL_MAX,
    // The driver's own statements (a transaction's commit) follow the same choice.
    prepare,
    onnotice: () => {},
    // The schema has no custom types; skipping the type lookup saves a round trip per connection.
    fetch_types: false,
    // While PostgreSQL is down each refused connection attempt raises the pool's shared retry
    // count, and the driver's own backoff grows to 20 s a try: requests would hang that long and
    // the pool would come back that late. Capped at one second, a request fails fast (503) and
    // the pool reconnects within a second of the server accepting again.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    // A host that vanished (failover to a new address) must not hold a request for the default 30 s.
    connect_timeout: 10,
    connection: { application_name: 'launchproof' },
  });
  const base = queryable(sql, prepare);
  return {
    engine: 'postgres',
    query: base.query,
    exec: base.exec,
    // The rejection of a transaction whose connection died comes from the driver, not from a query.
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      (sql.begin((tx) => fn(queryable(tx, prepare))) as Promise<T>).catch((e: unknown) => {
        throw asStorageError(e);
      }),
    close: () => sql.end({ timeout: 5 }),
    // postgres.js keeps one dedicated connection for LISTEN and re-subscribes on reconnect,
    // calling onlisten each time.
    listen: async (channel, onNotify, onConnect) => {
      const { unlisten } = await sql.listen(channel, onNotify, onConnect).catch((e: unknown) => {
        throw asStorageError(e);
      });
      return unlisten;
    },
  };
}
