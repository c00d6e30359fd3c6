/**
 * A guard for postgres.js 3.4.9 against a defect that kills the whole process when PostgreSQL
 * goes away under load (upstream porsager/postgres #1154 and #1208; fixes #1168 and #1209 still
 * unmerged). Registered as a Node module hook by bin/launchproof.mjs, it rewrites the driver's
 * connection.js as it loads.
 *
 * The defect: when a connection's socket closes, `closed()` sets `socket = null` and rejects the
 * query in flight. `sql.begin` answers that rejection by sending ROLLBACK on the same, now
 * socketless, connection; the write is buffered for a `setImmediate`, and `nextWrite` then calls
 * `null.write` from the immediate, where no caller can catch it. Teardown also clears that
 * immediate without forgetting it, so a connection that closed with a write pending never
 * flushes a small write again (its next startup message waits for the connect timeout).
 *
 * Why a load hook and not a patch applied at install: install scripts are skipped by
 * `npm ci --ignore-scripts` and by shared or read-only node_modules, and a skipped patch fails
 * silently; this one is applied at every start, and refuses to start (`guardConnectionSource`
 * throws) when the driver's text no longer matches, so an upgrade forces a review of the guard
 * instead of quietly dropping it. Why not another driver: postgres.js is what the store, the
 * tests and the Workers build (through Hyperdrive) all speak; four edited lines fix the defect.
 * The Workers build (postgres/cf/src) is not guarded: a load hook is Node's; there each request
 * has its own client behind Hyperdrive, which keeps the origin connections itself.
 *
 * The replacements keep every line where it was, so the driver's stack traces stay true.
 */

/** Set by the guarded connection.js when it loads: open-database.ts refuses PostgreSQL without it. */
export const GUARD_MARK = 'launchproof.postgres-guard';

interface Replacement {
  readonly why: string;
  readonly find: string;
  readonly replace: string;
  readonly count: number;
}

const REPLACEMENTS: readonly Replacement[] = [
  {
    // A connection without a socket is closed (or reconnecting, when bytes would precede the
    // startup message): refuse the query with the error its predecessor got. `true` keeps the
    // caller (begin's scope) from parking the dead connection in the `full` queue for good.
    why: 'execute refuses a connection without a socket',
    find: "      return queryError(q, Errors.connection('CONNECTION_DESTROYED', options))\n",
    replace:
      "      return queryError(q, Errors.connection('CONNECTION_DESTROYED', options)); if (socket === null) return (queryError(q, Errors.connection('CONNECTION_CLOSED', options)), true)\n",
    count: 1,
  },
  {
    // Unreachable with the guard above; should anything else buffer a write on a closed
    // connection, settle its queries (dropping the bytes alone leaves their callers waiting forever).
    why: 'nextWrite never dereferences a null socket',
    find: '    const x = socket.write(chunk, fn)\n',
    replace:
      "    if (socket === null) return (chunk = nextWriteTimer = null, error(Errors.connection('CONNECTION_CLOSED', options)), true); const x = socket.write(chunk, fn)\n",
    count: 1,
  },
  {
    // Teardown forgets the cancelled write, so the next connection on this slot flushes again.
    why: 'teardown resets the write buffer',
    find: '    clearImmediate(nextWriteTimer)\n',
    replace: '    clearImmediate(nextWriteTimer); nextWriteTimer = chunk = null\n',
    count: 2,
  },
  {
    why: 'the module marks itself guarded',
    find: '\nexport default Connection\n',
    replace: `\nexport default Connection; globalThis[Symbol.for('${GUARD_MARK}')] = true\n`,
    count: 1,
  },
];

/** The guarded text of postgres.js 3.4.9's src/connection.js; throws if the text is not the one reviewed. */
export function guardConnectionSource(source: string): string {
  let out = source;
  for (const r of REPLACEMENTS) {
    const found = out.split(r.find).length - 1;
    if (found !== r.count) {
      throw new Error(
        `postgres.js connection.js is not the reviewed 3.4.9 text (${r.why}: found ${found} of ${r.count}); review src/runtime/node/postgres-guard.ts before upgrading`,
      );
    }
    out = out.split(r.find).join(r.replace);
  }
  return out;
}

/** Whether the postgres.js this process loaded carries the guard. */
export function postgresGuarded(): boolean {
  return (globalThis as Record<symbol, unknown>)[Symbol.for(GUARD_MARK)] === true;
}

const CONNECTION = /\/node_modules\/postgres\/src\/connection\.js$/;

type LoadResult = { format?: string | null; source?: string | ArrayBuffer | ArrayBufferView | null; shortCircuit?: boolean };

/** Node module customization hook (module.register): guards the driver as it is loaded. */
export async function load(
  url: string,
  context: object,
  nextLoad: (url: string, context: object) => Promise<LoadResult>,
): Promise<LoadResult> {
  const loaded = await nextLoad(url, context);
  if (!CONNECTION.test(new URL(url).pathname) || loaded.source == null) return loaded;
  const text = typeof loaded.source === 'string' ? loaded.source : new TextDecoder().decode(loaded.source as ArrayBuffer);
  return { ...loaded, source: guardConnectionSource(text) };
}
