import type { OutboundEdge, ResolveHost } from '../../outbound/edge.ts';
import { OutboundError } from '../../outbound/errors.ts';
import { createGuardedRequest, DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_MS, type OutboundResult } from '../../outbound/guarded-request.ts';
import { VerificationFailure } from '../result.ts';

export { isPublicAddress } from '../../outbound/public-address.ts';

/** Fetches a JSON document someone else named; every refusal is a VerificationFailure('issuer_key', ...). */
export type FetchJson = (url: string) => Promise<unknown>;

export interface SafeFetchOptions {
  /** The network edge: the pinning edge on Node, globalThis.fetch on Workers, a fake in tests. */
  readonly fetch: OutboundEdge;
  /** For the whole exchange: resolution, headers and body. */
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /**
   * For a plain `fetch` only: the addresses a host name resolves to, every one of which must be
   * public. Without it (Workers has no resolver) only hosts written as addresses or local names
   * can be refused.
   */
  readonly resolveHost?: ResolveHost;
}

const ACCEPT = 'application/json, application/did+json, application/jwk-set+json, application/*+json;q=0.9, */*;q=0.1';

const unsafe = (detail: string) => new VerificationFailure('issuer_key', 'unsafe_url', detail);
const unresolvable = (detail: string) => new VerificationFailure('issuer_key', 'unresolvable_issuer', detail);

export function createSafeFetch(options: SafeFetchOptions): FetchJson {
  const fetchText = safeFetcher(options, ACCEPT, looksLikeJson);
  return async function fetchJson(url: string): Promise<unknown> {
    const text = await fetchText(url);
    try {
      return JSON.parse(text);
    } catch {
      throw unresolvable('response is not valid JSON');
    }
  };
}

/** The same rules for a compact JWS (a status list token or a status list credential), returned as text. */
export function createSafeTextFetch(options: SafeFetchOptions): (url: string) => Promise<string> {
  return safeFetcher(options, 'application/statuslist+jwt, application/vc+jwt, application/jwt;q=0.9, */*;q=0.1', looksLikeJws);
}

/** A GET through the guarded edge (outbound/), its refusals said as the verifier says them. */
function safeFetcher(
  options: SafeFetchOptions,
  accept: string,
  acceptable: (contentType: string | null) => boolean,
): (url: string) => Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const request = createGuardedRequest({
    edge: options.fetch,
    timeoutMs,
    maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
    ...(options.resolveHost ? { resolveHost: options.resolveHost } : {}),
  });
  // Only a body that can become the document is read: an error page or an image is refused unread.
  const wanted = (status: number, headers: Headers) => status >= 200 && status < 300 && acceptable(headers.get('content-type'));

  return async function fetchText(url: string): Promise<string> {
    let result: OutboundResult;
    try {
      result = await request({ url, headers: { accept }, readBody: wanted });
    } catch (error) {
      throw error instanceof OutboundError ? asFailure(error, timeoutMs) : error;
    }
    if (result.status < 200 || result.status >= 300) throw unresolvable(`HTTP ${result.status}`);
    if (!acceptable(result.headers.get('content-type'))) throw unresolvable('response is not of the expected type');
    try {
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(result.body);
    } catch {
      throw unresolvable('response is not UTF-8');
    }
  };
}

/** A redirect counts as an unsafe URL (it names a destination nobody checked); everything else as an issuer that cannot be reached. */
function asFailure(error: OutboundError, timeoutMs: number): VerificationFailure {
  switch (error.code) {
    case 'unsafe_url':
      return unsafe(error.message);
    case 'redirect':
      return unsafe('redirect refused');
    case 'unresolvable':
      return unresolvable('host name does not resolve');
    case 'timeout':
      return unresolvable(`no complete answer within ${timeoutMs} ms`);
    case 'too_large':
      return unresolvable('response too large');
    case 'network':
      return unresolvable('network error');
  }
}

/** A compact JWS is served as its own media type, as application/jwt, or as plain text by static hosts. */
function looksLikeJws(contentType: string | null): boolean {
  if (contentType === null) return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === '' || type.endsWith('+jwt') || type === 'application/jwt' || type === 'text/plain' || type === 'application/octet-stream';
}

/**
 * Lenient on purpose: did.json is served as application/json, application/did+json, and by
 * some static hosts as text/plain or application/octet-stream. What is refused here is what
 * cannot be a JSON document: HTML error pages, images, and the like.
 */
function looksLikeJson(contentType: string | null): boolean {
  if (contentType === null) return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    type === '' || type === 'application/json' || type.endsWith('+json') || type === 'text/plain' || type === 'application/octet-stream'
  );
}
