import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { PinningEdge, ResolveHost } from '../../outbound/edge.ts';
import { OutboundError } from '../../outbound/errors.ts';
import type { AddressRule } from '../../outbound/policy.ts';
import { resolveHostNode } from './public-address.ts';

export interface PinnedEdgeOptions {
  /** Every address of a host name: the system resolver by default, a fake in tests. */
  readonly resolve?: ResolveHost;
  /** Extra trust anchors for https, for tests with a local certificate; production uses Node's own. */
  readonly ca?: string;
}

/** Statuses whose answer has no body, which a web Response refuses to be given one for. */
const NO_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * The Node edge for guarded requests (src/outbound/). Global fetch resolves the host name again
 * after any check made before it (its undici agent takes no lookup without the undici package),
 * so a name answering a public address to the check and a private one to the connection (DNS
 * rebinding) would get through. Here node:http(s) is given a `lookup` of our own: it resolves the
 * name once, refuses unless every answer passes the rule, and hands the socket those same
 * answers, so nothing connects to an address that was not checked. Redirects are never followed
 * (node:http does not follow them); the body is streamed, and the request's signal destroys the socket.
 */
export function createPinnedEdge(options: PinnedEdgeOptions = {}): PinningEdge {
  const resolve = options.resolve ?? resolveHostNode;
  return { sendPinned: (request, allowed) => sendPinned(request, allowed, resolve, options.ca) };
}

async function sendPinned(request: Request, allowed: AddressRule, resolve: ResolveHost, ca: string | undefined): Promise<Response> {
  const url = new URL(request.url);
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') throw new TypeError(`the pinned edge speaks http and https, not ${url.protocol}`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // An address written in the URL is connected to without any lookup, so it is judged here.
  if (isIP(host) !== 0 && !allowed(host)) throw new OutboundError('unsafe_url', 'address is not public');
  const body = request.body === null ? undefined : Buffer.from(await request.arrayBuffer());
  request.signal.throwIfAborted();

  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name] = value;
  });
  // The URL's host, as TLS names it: no header of the request can point the server elsewhere.
  headers.host = url.host;
  if (body !== undefined) headers['content-length'] = String(body.byteLength);

  return new Promise<Response>((settle, fail) => {
    const outgoing = (secure ? httpsRequest : httpRequest)({
      host,
      port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: request.method,
      headers,
      // A connection of its own per request: a pooled socket would carry no new lookup, and keeps no state between callers.
      agent: false,
      lookup: pinnedLookup(resolve, allowed),
      // SNI names the host, never an address (RFC 6066), and without the root's trailing dot.
      ...(secure && isIP(host) === 0 ? { servername: host.replace(/\.$/, '') } : {}),
      ...(ca === undefined ? {} : { ca }),
    });
    const abort = () => outgoing.destroy(request.signal.reason instanceof Error ? request.signal.reason : new Error('aborted'));
    request.signal.addEventListener('abort', abort, { once: true });
    let answered = false;
    outgoing.on('error', (error) => {
      request.signal.removeEventListener('abort', abort);
      if (!answered) fail(error);
    });
    outgoing.on('close', () => request.signal.removeEventListener('abort', abort));
    outgoing.on('response', (incoming) => {
      answered = true;
      try {
        settle(webResponse(incoming, outgoing, request.method));
      } catch (error) {
        outgoing.destroy();
        fail(error);
      }
    });
    outgoing.end(body);
  });
}

/**
 * The `lookup` node:net calls to turn the host name into addresses. It is called once per
 * connection, and the connection uses only what it returns: so the addresses checked are the
 * addresses connected to. A refusal is an OutboundError, which the socket passes through as is.
 */
function pinnedLookup(resolve: ResolveHost, allowed: AddressRule): LookupFunction {
  return (hostname, options, callback) => {
    checkedAddresses(resolve, allowed, hostname, options.family).then(
      (addresses) => {
        // With autoSelectFamily (the default since Node 20) net asks for every address and tries them in turn.
        if (options.all)
          callback(
            null,
            addresses.map((address) => ({ address, family: isIP(address) })),
          );
        else callback(null, addresses[0]!, isIP(addresses[0]!));
      },
      (error: Error) => callback(error, ''),
    );
  };
}

async function checkedAddresses(resolve: ResolveHost, allowed: AddressRule, hostname: string, family: unknown): Promise<string[]> {
  let addresses: string[];
  try {
    addresses = await resolve(hostname);
  } catch {
    throw new OutboundError('unresolvable', 'host name does not resolve');
  }
  // One refused answer is enough, even if another would be used: an attacker who controls the name controls the order too.
  if (!addresses.every(allowed)) throw new OutboundError('unsafe_url', 'host name resolves to an address that is not public');
  const wanted =
    family === 4 || family === 6 || family === 'IPv4' || family === 'IPv6' ? addresses.filter((a) => sameFamily(a, family)) : addresses;
  if (wanted.length === 0) throw new OutboundError('unresolvable', 'host name does not resolve');
  return wanted;
}

function sameFamily(address: string, family: 4 | 6 | 'IPv4' | 'IPv6'): boolean {
  return isIP(address) === (family === 4 || family === 'IPv4' ? 4 : 6);
}

function webResponse(incoming: IncomingMessage, outgoing: ClientRequest, method: string): Response {
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const status = incoming.statusCode ?? 0;
  const empty = NO_BODY.has(status) || method === 'HEAD';
  if (empty) incoming.resume();
  // A status outside 200-599 makes the Response constructor throw: the caller sees a network error.
  return new Response(empty ? null : webBody(incoming, outgoing), { status, statusText: incoming.statusMessage ?? '', headers });
}

/**
 * The body as a web stream that pulls: the socket is paused while a chunk waits unread, so a
 * reader that stops at its cap stops the download too, and cancelling destroys the connection.
 */
function webBody(incoming: IncomingMessage, outgoing: ClientRequest): ReadableStream<Uint8Array> {
  let finished = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      incoming.pause();
      incoming.on('data', (chunk: Buffer) => {
        if (finished) return;
        controller.enqueue(new Uint8Array(chunk));
        if ((controller.desiredSize ?? 0) <= 0) incoming.pause();
      });
      incoming.on('end', () => {
        if (finished) return;
        finished = true;
        controller.close();
      });
      const broken = (error?: Error) => {
        if (finished) return;
        finished = true;
        controller.error(error ?? new Error('connection closed before the body ended'));
      };
      incoming.on('error', broken);
      incoming.on('close', () => broken());
    },
    pull() {
      incoming.resume();
    },
    cancel() {
      finished = true;
      outgoing.destroy();
    },
  });
}
