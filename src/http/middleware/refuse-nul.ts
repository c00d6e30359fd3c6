import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../errors/index.ts';
import { jsonPointer } from '../../util/json-pointer.ts';
import type { AppEnv } from '../context.ts';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

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
 * PostgreSQL text cannot hold U+0000, so a NUL anywhere in a request would surface as a storage
 * error. It is refused here, once for every route: in the query and a JSON body with the member
 * it was found in (400), in the path as a resource that cannot exist (404). For bodies the
 * escape is looked for first, so ordinary bodies are never parsed twice.
 */
export function refuseNulCharacters(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    for (const [name, value] of url.searchParams) {
      if (name.includes('\u0000') || value.includes('\u0000')) {
        throw new AppError('invalid_request', 'NUL character in the query', {
          fields: [{ pointer: `/query/${name.replaceAll('\u0000', '')}`, detail: 'must not contain the NUL character (U+0000)' }],
        });
      }
    }
    if (/%00/.test(url.pathname)) throw new AppError('not_found', 'NUL character in the path');
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
