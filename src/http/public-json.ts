import type { Context } from 'hono';
import { documentOf, type PublicDocument } from '../projection/documents.ts';
import type { AppEnv } from './context.ts';

/** RFC 9110 §13.1.2: If-None-Match compares weakly and may list several tags or `*`. */
export function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/**
 * Serves a public document: cacheable by anyone for `maxAge` seconds, revalidated with its
 * ETag, readable cross-origin (wallets and verifiers fetch these from browsers).
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

/** Serves a document built beforehand (the projection's): no serialising and no hashing per request. */
export function servePublic(c: Context<AppEnv>, doc: PublicDocument, maxAge: number): Response {
  const headers: Record<string, string> = {
    etag: doc.etag,
    'cache-control': `public, max-age=${maxAge}`,
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'ETag',
  };
  if (matches(c.req.header('if-none-match'), doc.etag)) return new Response(null, { status: 304, headers });
  return new Response(doc.body, { status: 200, headers: { ...headers, 'content-type': doc.contentType } });
}
