/**
 * The one storage port. Two adapters implement it in src/runtime/ (postgres.js and PGlite);
 * everything above it speaks plain parameterised PostgreSQL 15 SQL.
 */
export interface Queryable {
  /**
   * Runs one statement with `$1..$n` parameters. jsonb parameters are passed as objects or
   * arrays, never as JSON strings, and never as SQL arrays: postgres.js without its type
   * lookup and PGlite disagree on both, and agree on jsonb.
   */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

export interface Database extends Queryable {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /**
   * Calls `onNotify` with the payload of each NOTIFY on `channel`, and `onConnect` each time the
   * subscription is (re)established, after which notifications sent while it was down are lost:
   * the subscriber re-reads what it follows. Resolves once listening, to the unsubscribe.
   * Absent where a connection cannot outlive a request (Workers).
   */
  listen?(channel: string, onNotify: (payload: string) => void, onConnect: () => void): Promise<() => Promise<void>>;
  /** Which engine answers: tests and logs want to know, code paths never branch on it. */
  readonly engine: 'postgres' | 'pglite';
}
