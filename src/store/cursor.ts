import { AppError } from '../errors/index.ts';
import { base64urlDecode, base64urlEncode } from '../util/base64url.ts';
import { isUuid } from '../util/uuid.ts';
import type { Queryable } from './port.ts';

/*
 * Keyset paging over (issued_at, id), newest first. The cursor is opaque to callers: the
 * position of the last row of the previous page, so a page boundary never skips or repeats a
 * row while others are inserted.
 */

function encodeCursor(at: Date, id: string): string {
  return base64urlEncode(new TextEncoder().encode(`${at.toISOString()}|${id}`));
}

function decodeCursor(cursor: string): { at: Date; id: string } {
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

export interface KeysetQuery {
  /** A tenant-owned table with `tenant_id`, `issued_at` and a uuid `id`. */
  readonly table: 'credentials' | 'attestations';
  readonly columns: string;
  readonly tenantId: string;
  /** Filters that apply, each a condition whose every `?` stands for its one value. */
  readonly conditions: readonly (readonly [sql: string, value: unknown])[];
  readonly limit: number;
  readonly cursor?: string;
}

/** One page of a tenant's rows, newest first, and the cursor of the next page (null on the last). */
export async function keysetPage<Row extends { issued_at: Date; id: string }>(
  tx: Queryable,
  q: KeysetQuery,
): Promise<{ rows: Row[]; next: string | null }> {
  const where = ['tenant_id = $1'];
  const params: unknown[] = [q.tenantId];
  for (const [sql, value] of q.conditions) {
    params.push(value);
    where.push(sql.replaceAll('?', `$${params.length}`));
  }
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    params.push(c.at, c.id);
    where.push(`(issued_at, id) < ($${params.length - 1}, $${params.length}::uuid)`);
  }
  params.push(q.limit + 1);
  const rows = await tx.query<Row>(
    `select ${q.columns} from ${q.table} where ${where.join(' and ')} order by issued_at desc, id desc limit $${params.length}`,
    params,
  );
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return { rows: page, next: rows.length > q.limit && last ? encodeCursor(last.issued_at, last.id) : null };
}
