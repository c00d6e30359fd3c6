import type { MiddlewareHandler } from 'hono';
import { AppError } from '../../errors/index.ts';
import type { AppEnv } from '../context.ts';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** Far beyond any body this API takes (an assessment nests about six levels), far below a stack's reach. */
export const MAX_BODY_DEPTH = 64;

/**
 * Whether JSON text nests deeper than `max`, in one pass over the characters and without parsing:
 * brackets inside strings are text, and an escape skips the character it escapes. Malformed text
 * is not judged here; the parser reports it.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++;
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) return true;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return false;
}

/**
 * Every later step over a body (the NUL check, validation, the handlers) walks it recursively; a
 * body nested deeper than any request needs is refused before any of them, with bounded work, so
 * it is a 400 for its sender rather than a stack overflow or a CPU cost for everyone else.
 */
export function refuseDeepJson(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (JSON_TYPE.test(c.req.header('content-type') ?? '') && nestsDeeperThan(await c.req.text(), MAX_BODY_DEPTH)) {
      const detail = `nests deeper than ${MAX_BODY_DEPTH} levels`;
      throw new AppError('invalid_request', `request body ${detail}`, { fields: [{ pointer: '', detail }] });
    }
    await next();
  };
}
