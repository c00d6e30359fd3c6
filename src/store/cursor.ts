import { AppError } from '../errors/index.ts';
import { base64urlDecode, base64urlEncode } from '../util/base64url.ts';
import { isUuid } from '../util/uuid.ts';

/**
 * Keyset paging over (issued_at, id), newest first. The cursor is opaque to callers: the
 * position of the last row of the previous page, so a page boundary never skips or repeats a
 * row while others are inserted.
 */
export function encodeCursor(at: Date, id: string): string {
  return base64urlEncode(new TextEncoder().encode(`${at.toISOString()}|${id}`));
}

export function decodeCursor(cursor: string): { at: Date; id: string } {
  try {
    const [at, id] = new TextDecoder().decode(base64urlDecode(cursor)).split('|');
    const date = new Date(at ?? '');
    if (Number.isNaN(date.getTime()) || !isUuid(id ?? '')) throw new TypeError('bad cursor');
    return { at: date, id: id! };
  } catch {
    throw new AppError('invalid_request', 'cursor is not one this service issued', {
      fields: [{ pointer: '/query/cursor', detail: 'Unknown cursor' }],
    });
  }
}
