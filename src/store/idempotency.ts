import { AppError } from '../errors/index.ts';
import type { Queryable } from './port.ts';

/**
 * What one run left, as the caller gets it back: its own result the first time, and on a replay
 * the stored JSON of that result, for the caller to read back into its type.
 */
export type Once<T> = { readonly replayed: false; readonly result: T } | { readonly replayed: true; readonly stored: unknown };

// The `status` column dates from rows that held HTTP responses. It stays as the row's "done"
// mark (0 while the first run is in flight); nothing reads it back. 201 keeps new rows alike
// with the old ones.
const DONE = 201;

export interface IdempotencyRequest {
  readonly tenantId: string;
  /** Which operation the key belongs to: a key reused on another route is a different key. */
  readonly operation: string;
  readonly key: string;
  /** SHA-256 of the canonical request body: same key, same fingerprint, same answer. */
  readonly fingerprint: string;
  readonly now: Date;
}

/**
 * Runs `perform` at most once per Idempotency-Key, in the caller's transaction. The key row is
 * claimed first: a concurrent request with the same key waits on its unique index until this
 * transaction ends, then replays the stored result (or, if this one rolled back, runs itself).
 * The same key with a different body is refused with 409, never silently replayed.
 */
export async function once<T>(tx: Queryable, req: IdempotencyRequest, perform: () => Promise<T>): Promise<Once<T>> {
  const claimed = await tx.query(
    `insert into idempotency_keys (tenant_id, operation, key, fingerprint, status, response, created_at)
     values ($1, $2, $3, $4, 0, '{}'::jsonb, $5) on conflict do nothing returning key`,
    [req.tenantId, req.operation, req.key, req.fingerprint, req.now],
  );
  if (claimed.length === 0) {
    const [prior] = await tx.query<{ fingerprint: string; response: unknown }>(
      'select fingerprint, response from idempotency_keys where tenant_id = $1 and operation = $2 and key = $3',
      [req.tenantId, req.operation, req.key],
    );
    if (!prior || prior.fingerprint !== req.fingerprint) {
      throw new AppError('idempotency_key_reused', `Idempotency-Key ${req.key} was used with a different request`);
    }
    return { replayed: true, stored: prior.response };
  }
  const result = await perform();
  await tx.query('update idempotency_keys set status = $4, response = $5 where tenant_id = $1 and operation = $2 and key = $3', [
    req.tenantId,
    req.operation,
    req.key,
    DONE,
    // Its JSON form (a Date as its ISO string), so both drivers store the same jsonb.
    JSON.parse(JSON.stringify(result)),
  ]);
  return { replayed: false, result };
}
