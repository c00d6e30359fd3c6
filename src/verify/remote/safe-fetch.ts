import { readCapped } from '../../util/read-capped.ts';
import { VerificationFailure } from '../result.ts';
import { isPublicAddress } from './public-address.ts';
import { isIpLiteralHost, parseSafeUrl } from './safe-url.ts';

export { isPublicAddress } from './public-address.ts';

/** Fetches a JSON document someone else named; every refusal is a VerificationFailure('issuer_key', ...). */
export type FetchJson = (url: string) => Promise<unknown>;

export interface SafeFetchOptions {
  /** The network edge: globalThis.fetch in production, a fake in tests. */
  readonly fetch: (request: Request) => Promise<Response>;
  /** For the whole exchange: resolution, headers and body. */
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /**
   * The addresses a host name resolves to. When given, every one must be public. Without it
   * (Workers has no resolver) only hosts written as addresses or local names can be refused.
   */
  readonly resolveHost?: (hostname: string) => Promise<string[]>;
}

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_BYTES = 256 * 1024;

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

function safeFetcher(
  options: SafeFetchOptions,
  accept: string,
  acceptable: (contentType: string | null) => boolean,
): (url: string) => Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(timeoutMs > 0) || !(maxBytes > 0)) throw new TypeError('timeoutMs and maxBytes must be positive');

  return async function fetchText(text: string): Promise<string> {
    const url = parseSafeUrl(text);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      if (options.resolveHost && !isIpLiteralHost(url)) await checkResolvedAddresses(options.resolveHost, url.hostname, controller.signal);
      const request = new Request(url.href, { method: 'GET', headers: { accept }, redirect: 'manual', signal: controller.signal });
      const sent = Promise.resolve()
        .then(() => options.fetch(request))
        .catch((error: unknown) => {
          throw controller.signal.aborted ? error : unresolvable('network error');
        });
      const response = await withinDeadline(sent, controller.signal);
      return await readText(response, maxBytes, controller.signal, acceptable);
    } catch (error) {
      if (error instanceof VerificationFailure) throw error;
      if (controller.signal.aborted) throw unresolvable(`no complete answer within ${timeoutMs} ms`);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  };
}

async function checkResolvedAddresses(resolveHost: (hostname: string) => Promise<string[]>, hostname: string, signal: AbortSignal) {
  let addresses: string[];
  try {
    addresses = await withinDeadline(resolveHost(hostname), signal);
  } catch (error) {
    if (signal.aborted) throw error;
    throw unresolvable('host name does not resolve');
  }
  if (addresses.length === 0) throw unresolvable('host name does not resolve');
  // One private answer is enough to refuse: the connection may pick any of them.
  if (!addresses.every(isPublicAddress)) throw unsafe('host name resolves to an address that is not public');
}

async function readText(
  response: Response,
  maxBytes: number,
  signal: AbortSignal,
  acceptable: (contentType: string | null) => boolean,
): Promise<string> {
  // A browser reports a manual redirect as an opaque response with status 0; Node and Workers give the 3xx itself.
  if ((response.type as string) === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    discard(response);
    throw unsafe('redirect refused');
  }
  if (!response.ok) {
    discard(response);
    throw unresolvable(`HTTP ${response.status}`);
  }
  if (!acceptable(response.headers.get('content-type'))) {
    discard(response);
    throw unresolvable('response is not of the expected type');
  }
  const declared = response.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) {
    discard(response);
    throw unresolvable('response too large');
  }
  const bytes = await readBody(response, maxBytes, signal);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw unresolvable('response is not UTF-8');
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

/** Streams the body and stops at the cap, so a server cannot make us buffer more than maxBytes. */
async function readBody(response: Response, maxBytes: number, signal: AbortSignal): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const bytes = await readCapped(reader, maxBytes, () => withinDeadline(reader.read(), signal));
  if (!bytes) throw unresolvable('response too large');
  return bytes;
}

function discard(response: Response) {
  response.body?.cancel().catch(() => {});
}

/**
 * The signal is also handed to fetch, but an edge that ignores it (or a body that trickles)
 * must not hold verification open past the deadline.
 */
function withinDeadline<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new DOMException('deadline passed', 'AbortError'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DOMException('deadline passed', 'AbortError'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
