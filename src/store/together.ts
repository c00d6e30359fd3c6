/**
 * Awaits statements started together in one transaction (the driver sends them in one write, so
 * they cost one round trip) and only then reports the first failure in the order they were sent,
 * which is the cause: those behind a failed statement fail only because the transaction is
 * aborted. Waiting for all of them means none is still queued when the transaction rolls back.
 */
export async function together<T extends readonly unknown[]>(statements: { readonly [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(statements);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
