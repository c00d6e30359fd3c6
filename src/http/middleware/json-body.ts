import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../../errors/index.ts';
import type { AppEnv } from '../context.ts';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;|$)/i;

/** Refuses bodies over the limit (413), whether or not they declare their length. */
export function limitBody(maxSize: number): MiddlewareHandler<AppEnv> {
  const refuse = (): never => {
    throw new AppError('payload_too_large', `request body over ${maxSize} bytes`);
  };
  const limit = bodyLimit({ maxSize, onError: refuse });
  // hono's bodyLimit asks for `c.req.raw.body` first, and on Node that makes @hono/node-server
  // build a whole web Request with a stream body, where it would otherwise read the body straight
  // from the socket when the route asks for it. So what needs no stream is decided here as hono
  // decides it: a GET or HEAD has no body, and a declared length without chunking is the length
  // (the HTTP parser holds the body to it). Anything else (chunked, or HTTP/2 without a length)
  // is counted as it streams in, by hono's.
  return (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return limit(c, next);
    return parseInt(length, 10) > maxSize ? refuse() : next();
  };
}

/**
 * A request that carries a body, or declares a media type for one, must say it is JSON: we
 * never guess. (A body can arrive without a length header, so a declared type counts too.)
 * The paths `formPaths` matches take an HTML form instead: an OAuth token endpoint is specified
 * that way (RFC 6749 §4.1.3), and its route refuses anything else itself.
 */
export function requireJsonBody(formPaths?: RegExp): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (formPaths?.test(c.req.path) && FORM_TYPE.test(c.req.header('content-type') ?? '')) return next();
    const type = c.req.header('content-type');
    const hasBody = (c.req.header('content-length') ?? '0') !== '0' || c.req.header('transfer-encoding') !== undefined;
    if ((hasBody || type !== undefined) && !JSON_TYPE.test(type ?? '')) {
      throw new AppError('unsupported_media_type', `content-type ${c.req.header('content-type') ?? '(none)'}`);
    }
    await next();
  };
}
