/**
 * SQLSTATEs after which PostgreSQL has rolled the whole transaction back and running it again
 * is the documented remedy: deadlock_detected (two issuers each waiting on a status slot the
 * other claimed, which random allocation makes rare but not impossible near a full list) and
 * serialization_failure. PGlite, a single connection, raises neither.
 */
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 3;

function isRetryable(e: unknown): boolean {
  return typeof e === 'object' && e !== null && RETRYABLE.has(String((e as { code?: unknown }).code));
}

/** Runs `transaction` again (up to three times in all) when the database aborted it as retryable. */
export async function retryingTransaction<T>(transaction: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (e) {
      if (attempt >= ATTEMPTS || !isRetryable(e)) throw e;
    }
  }
}
