import { isAppError } from '../errors/index.ts';
import type { Metrics } from '../metrics/port.ts';

/**
 * A list that could not be re-signed: counted as a publication failure and, when the cause was
 * the signing key (none active, or sealed under another KEK), as a signing failure too, so
 * "signing unavailable" is seen even when no request asked for a signature.
 */
export function countPublicationFailure(metrics: Metrics | undefined, e: unknown): void {
  if (!metrics) return;
  metrics.record({ kind: 'status_publication_failed' });
  if (isAppError(e) && e.code === 'signing_unavailable') metrics.record({ kind: 'signing_failed', operation: 'status_publication' });
}
