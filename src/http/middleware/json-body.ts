import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '../../errors/index.ts';
import type { AppEnv } from '../context.ts';
import { jsonPointer } from '../../util/json-pointer.ts';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** Refuses bodies over the limit (413), whether or not they declare their length. */
export function limitBody(maxSize: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new AppError('payload_too_large', `request body over ${maxSize} bytes`);
    },
  });
}

/**
 * A request that carries a body, or declares a media type for one, must say it is JSON: we
 * never guess. (A body can arrive without a length header, so a declared type counts too.)
 */
export function requireJsonBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const type = c.req.header('content-type');
    const hasBody = (c.req.header('content-length') ?? '0') !== '0' || c.req.header('transfer-encoding') !== undefined;
    if ((hasBody || type !== undefined) && !JSON_TYPE.test(type ?? '')) {
      throw new AppError('unsupported_media_type', `content-type ${c.req.header('content-type') ?? '(none)'}`);
    }
    await next();
  };
}

/** The pointer of the first string (member name or value) holding U+0000, if any. */
function nulAt(value: unknown, path: (string | number)[] = []): (string | number)[] | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = nulAt(v, [...path, i]);
      if (found) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) return [...path, k];
      const found = nulAt(v, [...path, k]);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * PostgreSQL text cannot hold U+0000, so a NUL anywhere in a JSON body would surface as a
 * storage error. It is refused here, once for every route, with the member it was found in.
 * The escape is looked for first, so ordinary bodies are never parsed twice.
 */
export function refuseNulCharacters(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (JSON_TYPE.test(c.req.header('content-type') ?? '')) {
      const text = await c.req.text();
      if (/\\u0000/i.test(text)) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined; // malformed JSON is the validator's to report
        }
        const path = nulAt(parsed);
        if (path) {
          throw new AppError('invalid_request', 'NUL character in the body', {
            fields: [{ pointer: jsonPointer(path), detail: 'must not contain the NUL character (U+0000)' }],
          });
        }
      }
    }
    await next();
  };
}
