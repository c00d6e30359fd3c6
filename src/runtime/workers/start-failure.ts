import { AppError, PROBLEM_MEDIA_TYPE, problemDocument, RETRY_AFTER_SECONDS } from '../../errors/index.ts';

/**
 * The answer when an isolate cannot serve: 503 with Retry-After while the database cannot be
 * reached (an outage passes; the client should come back), 500 for a deployment that is wrong
 * (configuration, origin, role), whose cause is in the log, not on the wire.
 */
export function startFailureResponse(e?: unknown): Response {
  const unavailable = e instanceof AppError && e.code === 'storage_unavailable';
  const status = unavailable ? 503 : 500;
  const retryAfter = unavailable ? RETRY_AFTER_SECONDS.storage_unavailable : undefined;
  return new Response(JSON.stringify(problemDocument(unavailable ? 'storage_unavailable' : 'internal_error', status)), {
    status,
    headers: {
      'content-type': PROBLEM_MEDIA_TYPE,
      'cache-control': 'no-store',
      ...(retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) }),
    },
  });
}
