import type { Context } from 'hono';
import { base64urlEncode } from '../util/base64url.ts';
import type { AppEnv } from './context.ts';

/** A strong validator: the SHA-256 of the exact bytes served, so equal ETags mean equal bodies. */
async function strongEtag(body: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(body));
  return `"${base64urlEncode(new Uint8Array(digest))}"`;
}

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
  const etag = await strongEtag(body);
  const headers: Record<string, string> = {
    etag,
    'cache-control': `public, max-age=${maxAge}`,
    'access-control-allow-origin': '*',
    'access-control-expose-headers': 'ETag',
  };
  if (matches(c.req.header('if-none-match'), etag)) return new Response(null, { status: 304, headers });
  return new Response(body, { status: 200, headers: { ...headers, 'content-type': contentType } });
}
