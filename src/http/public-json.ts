import type { Context } from 'hono';
import { documentOf, type PublicDocument } from '../projection/documents.ts';
import type { AppEnv } from './context.ts';

/** RFC 9110 §13.1.2: If-None-Match compares weakly and may list several tags or `*`. */
export function matches(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** A public document and how long anyone may cache it. */
export interface PublicAnswer {
  readonly doc: PublicDocument;
  readonly maxAge: number;
  /** Never changes at this URL (a profile version): caches need not revalidate it. */
  readonly immutable?: boolean;
}

/**
 * The answer to a GET of a public document: cacheable by anyone for its max-age, revalidated
 * with its ETag (304 when the client holds it), readable cross-origin (wallets and verifiers
 * fetch these from browsers). `extra` fields go on it too. Built with plain fields in one go:
 * on Node that keeps the body in memory all the way to the socket.
 */
export function publicAnswer(answer: PublicAnswer, ifNoneMatch: string | null | undefined, extra?: Record<string, string>): Response {
  const fields: Record<string, string> = {
    ...extra,
    etag: answer.doc.etag,
    'cache-control': `public, max-age=${answer.maxAge}${answer.immutable ? ', immutable' : ''}`,
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'ETag',
  };
  if (matches(ifNoneMatch, answer.doc.etag)) return new Response(null, { status: 304, headers: fields });
  fields['content-type'] = answer.doc.contentType;
  return new Response(answer.doc.body, { status: 200, headers: fields });
}

/**
 * Serves a public document, serialised and hashed here (for documents not kept in the projection).
 */
export async function publicJson(
  c: Context<AppEnv>,
  document: unknown,
  maxAge: number,
  contentType = 'application/json',
  options: { preserialised?: boolean } = {},
): Promise<Response> {
  // A document whose bytes are pinned by a digest elsewhere (type metadata) is served as given.
  const body = options.preserialised ? (document as string) : JSON.stringify(document);
  return servePublic(c, await documentOf(body, contentType), maxAge);
}

/**
 * Serves a document built beforehand (the projection's): no serialising and no hashing per
 * request. `again`, where given, answers the same path later from memory alone (undefined when
 * memory does not hold it); it must depend on nothing but the path, so the next GET of this
 * path can be answered before routing (hot-paths.ts).
 */
export function servePublic(
  c: Context<AppEnv>,
  doc: PublicDocument,
  maxAge: number,
  options: { immutable?: boolean; again?: () => PublicAnswer | undefined } = {},
): Response {
  if (options.again) c.get('hotPaths')?.remember(c, options.again);
  return publicAnswer({ doc, maxAge, ...(options.immutable ? { immutable: true } : {}) }, c.req.header('if-none-match'));
}
