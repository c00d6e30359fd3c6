import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../errors/index.ts';
import { jsonPointer } from '../../util/json-pointer.ts';
import type { AppEnv } from '../context.ts';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const NUL_DETAIL = 'must not contain the NUL character (U+0000)';
const SURROGATE_DETAIL = 'must be well-formed Unicode text (a lone surrogate was sent)';

/** Why PostgreSQL could not store this text, if it could not. */
function unstorable(text: string): string | undefined {
  if (text.includes('\u0000')) return NUL_DETAIL;
  if (LONE_SURROGATE.test(text)) return SURROGATE_DETAIL;
  return undefined;
}

/**
 * The pointer of the first string (member name or value) PostgreSQL could not store, and why.
 * Recursive, which is safe: bodies nested deeper than a request needs are refused before this.
 */
function unstorableAt(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; detail: string } | undefined {
  if (typeof value === 'string') {
    const detail = unstorable(value);
    return detail ? { path, detail } : undefined;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = unstorableAt(v, [...path, i]);
      if (found) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const detail = unstorable(k);
      if (detail) return { path: [...path, k], detail };
      const found = unstorableAt(v, [...path, k]);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * PostgreSQL text cannot hold U+0000, nor a lone UTF-16 surrogate (it is not Unicode text at
 * all), so either would surface as a storage error. Both are refused here, once for every route:
 * in the query and a JSON body with the member it was found in (400), a NUL in the path as a
 * resource that cannot exist (404). For bodies the escapes are looked for first, so ordinary
 * bodies are never parsed twice. (Raw bytes cannot carry either: UTF-8 decoding replaces them.)
 */
export function refuseNulCharacters(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    for (const [name, value] of url.searchParams) {
      if (name.includes('\u0000') || value.includes('\u0000')) {
        throw new AppError('invalid_request', 'NUL character in the query', {
          fields: [{ pointer: `/query/${name.replaceAll('\u0000', '')}`, detail: NUL_DETAIL }],
        });
      }
    }
    if (/%00/.test(url.pathname)) throw new AppError('not_found', 'NUL character in the path');
    if (JSON_TYPE.test(c.req.header('content-type') ?? '')) {
      const text = await c.req.text();
      if (/\\u(?:0000|d[89a-f])/i.test(text)) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined; // malformed JSON is the validator's to report
        }
        const found = unstorableAt(parsed);
        if (found) {
          throw new AppError('invalid_request', 'text in the body that cannot be stored', {
            fields: [{ pointer: jsonPointer(found.path), detail: found.detail }],
          });
        }
      }
    }
    await next();
  };
}
