import { readCapped } from '../util/read-capped.ts';
import { withinDeadline } from './deadline.ts';
import type { OutboundEdge, ResolveHost } from './edge.ts';
import { OutboundError } from './errors.ts';
import { ipLiteralOf, parseOutboundUrl } from './outbound-url.ts';
import { addressRuleFor, type AddressRule, type OutboundPolicy } from './policy.ts';

export interface GuardedRequestOptions {
  /** A pinning edge (Node), or a plain send (globalThis.fetch on Workers, a fake in tests). */
  readonly edge: OutboundEdge;
  /**
   * For a plain edge only: the host name's addresses, checked before sending. The send resolves
   * the name again, so this narrows DNS rebinding without closing it; a pinning edge closes it
   * and makes this unnecessary (it is not consulted then). Without either (Workers has no DNS
   * API) only URLs that write an address or a local name can be refused.
   */
  readonly resolveHost?: ResolveHost;
  readonly policy?: OutboundPolicy;
  /** For the whole exchange: resolution, connection, headers and body. */
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
}

export interface OutboundRequest {
  readonly url: string;
  /** GET by default. */
  readonly method?: string;
  readonly headers?: HeadersInit;
  readonly body?: string | Uint8Array<ArrayBuffer>;
  /** Whether this answer's body is wanted; when not, it is cancelled unread and `body` is empty. Default: always. */
  readonly readBody?: (status: number, headers: Headers) => boolean;
}

export interface OutboundResult {
  readonly status: number;
  readonly headers: Headers;
  /** At most maxBytes: a longer body is refused as `too_large`, never cut short. */
  readonly body: Uint8Array;
  /** From the call to the last byte read. */
  readonly elapsedMs: number;
}

export type GuardedRequest = (request: OutboundRequest) => Promise<OutboundResult>;

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_BYTES = 256 * 1024;

/**
 * One request to a URL someone else named (another issuer's keys, a status list, a webhook
 * receiver): https to public addresses only, no redirect followed, one deadline for the whole
 * exchange, the body streamed up to a cap. Every refusal is an OutboundError with a stable code.
 */
export function createGuardedRequest(options: GuardedRequestOptions): GuardedRequest {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (!(timeoutMs > 0) || !(maxBytes > 0)) throw new TypeError('timeoutMs and maxBytes must be positive');
  const policy = options.policy ?? {};
  const { edge } = options;
  const send = (request: Request, allowed: AddressRule): Promise<Response> =>
    typeof edge === 'function' ? edge(request) : edge.sendPinned(request, allowed);
  const precheck = typeof edge === 'function' ? options.resolveHost : undefined;

  return async function guardedRequest(outbound: OutboundRequest): Promise<OutboundResult> {
    const started = performance.now();
    const url = parseOutboundUrl(outbound.url, policy);
    const allowed = addressRuleFor(url, policy);
    const controller = new AbortController();
    // Built before the deadline starts: a method or header the Fetch standard refuses is the caller's mistake (a TypeError).
    const request = new Request(url.href, {
      method: outbound.method ?? 'GET',
      ...(outbound.headers === undefined ? {} : { headers: outbound.headers }),
      ...(outbound.body === undefined ? {} : { body: outbound.body }),
      redirect: 'manual',
      signal: controller.signal,
    });
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const literal = ipLiteralOf(url);
      if (precheck && literal === undefined) await checkResolved(precheck, url.hostname, allowed, controller.signal);
      const response = await withinDeadline(sent(send, request, allowed), controller.signal);
      const body = await readAnswer(response, outbound.readBody, maxBytes, controller.signal);
      return { status: response.status, headers: response.headers, body, elapsedMs: performance.now() - started };
    } catch (error) {
      if (error instanceof OutboundError) throw error;
      if (controller.signal.aborted) throw new OutboundError('timeout', `no complete answer within ${timeoutMs} ms`);
      throw new OutboundError('network', 'network error', { cause: error });
    } finally {
      clearTimeout(timer);
    }
  };
}

/** An edge may throw synchronously or reject; both count as the exchange failing. */
function sent(send: (request: Request, allowed: AddressRule) => Promise<Response>, request: Request, allowed: AddressRule) {
  return Promise.resolve().then(() => send(request, allowed));
}

async function checkResolved(resolveHost: ResolveHost, hostname: string, allowed: AddressRule, signal: AbortSignal): Promise<void> {
  let addresses: string[];
  try {
    addresses = await withinDeadline(resolveHost(hostname), signal);
  } catch (error) {
    if (signal.aborted) throw error;
    throw new OutboundError('unresolvable', 'host name does not resolve');
  }
  if (addresses.length === 0) throw new OutboundError('unresolvable', 'host name does not resolve');
  // One refused answer is enough: the connection may pick any of them.
  if (!addresses.every(allowed)) throw new OutboundError('unsafe_url', 'host name resolves to an address that is not public');
}

async function readAnswer(
  response: Response,
  wanted: OutboundRequest['readBody'],
  maxBytes: number,
  signal: AbortSignal,
): Promise<Uint8Array> {
  // A browser reports a manual redirect as an opaque response with status 0; Node and Workers give the 3xx itself.
  if ((response.type as string) === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
    discard(response);
    throw new OutboundError('redirect', 'redirect refused');
  }
  if (wanted !== undefined && !wanted(response.status, response.headers)) {
    discard(response);
    return new Uint8Array(0);
  }
  const declared = response.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) {
    discard(response);
    throw new OutboundError('too_large', 'response too large');
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  // Streamed and stopped at the cap, so a server cannot make us buffer more than maxBytes.
  const bytes = await readCapped(reader, maxBytes, () => withinDeadline(reader.read(), signal));
  if (!bytes) throw new OutboundError('too_large', 'response too large');
  return bytes;
}

function discard(response: Response) {
  response.body?.cancel().catch(() => {});
}
