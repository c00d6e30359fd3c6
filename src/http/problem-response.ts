import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, PROBLEM_MEDIA_TYPE, problemDocument, RETRY_AFTER_SECONDS, type ErrorCode } from '../errors/index.ts';
import type { Logger } from '../log/logger.ts';
import { OAuthError } from '../oid4vci/oauth-error.ts';
import { oauthErrorResponse } from './oauth-response.ts';
import { errorPageResponse, isPagePath } from '../pages/page-response.ts';
import type { AppEnv } from './context.ts';
import { CLIENT_CLOSED_REQUEST, clientClosed } from './client-closed.ts';

export function problemResponse(c: Context<AppEnv>, err: AppError): Response {
  c.set('problemCode', err.code);
  const retryAfter = RETRY_AFTER_SECONDS[err.code];
  const extra: Record<string, string> = retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
  // A person reads the pages: their errors are pages with the same status and code.
  if (isPagePath(c.req.path)) return errorPageResponse(err.code, err.status, c.get('requestId'), extra);
  const body = problemDocument(err.code, err.status, c.get('requestId'), err.fields, err.publicDetail);
  const headers: Record<string, string> = { 'content-type': PROBLEM_MEDIA_TYPE, 'cache-control': 'no-store', ...extra };
  if (err.status === 401) headers['www-authenticate'] = 'Bearer realm="launchproof"';
  return new Response(JSON.stringify(body), { status: err.status, headers });
}

/** Framework exceptions (malformed JSON, oversized bodies) mapped onto our stable codes. */
function fromHttpException(e: HTTPException): AppError {
  const byStatus: Partial<Record<number, ErrorCode>> = {
    400: 'malformed_json',
    401: 'unauthenticated',
    404: 'not_found',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
  };
  return new AppError(byStatus[e.status] ?? 'invalid_request', e.message);
}

/**
 * The one place an error becomes a response. Our own errors keep their code; anything else is
 * a bug or an outage, answered as a generic 500 with the detail kept in the log only.
 */
export function errorHandler(log: Logger) {
  return (err: Error, c: Context<AppEnv>): Response => {
    // Whatever failed after the client hung up failed because it did (a body read cut short):
    // nobody is there to answer, and it is no fault of ours. No stack, no error level, no 5xx.
    if (clientClosed(c)) {
      log.info('client closed request', { request_id: c.get('requestId'), detail: err.message });
      return new Response(null, { status: CLIENT_CLOSED_REQUEST });
    }
    if (err instanceof AppError) {
      if (err.status >= 500) log.error('request failed', { request_id: c.get('requestId'), code: err.code, detail: err.message });
      else log.debug('request refused', { request_id: c.get('requestId'), code: err.code, detail: err.message });
      return problemResponse(c, err);
    }
    if (err instanceof HTTPException) return problemResponse(c, fromHttpException(err));
    // The wallet-facing OID4VCI endpoints answer in the shape their specifications name.
    if (err instanceof OAuthError) {
      log.debug('request refused', { request_id: c.get('requestId'), code: err.code, detail: err.message });
      return oauthErrorResponse(err);
    }
    log.error('unhandled error', { request_id: c.get('requestId'), error: err.name, detail: err.message, stack: err.stack });
    return problemResponse(c, new AppError('internal_error'));
  };
}
