import type { AddressRule } from './policy.ts';

/**
 * Sends a request to whatever its host name resolves to at the time: globalThis.fetch on
 * Workers, a fake in tests. The guard can only check a name's addresses beforehand (with a
 * resolver) or not at all, so the name may resolve differently for the connection.
 */
export type SendRequest = (request: Request) => Promise<Response>;

/**
 * An edge that resolves the host name itself, refuses (OutboundError `unsafe_url`) unless
 * `allowed` accepts every address, and connects only to an address it checked, so the check
 * and the connection cannot see two different answers (Node: runtime/node/pinned-fetch.ts).
 */
export interface PinningEdge {
  readonly sendPinned: (request: Request, allowed: AddressRule) => Promise<Response>;
}

export type OutboundEdge = SendRequest | PinningEdge;

/** Every address a host name has (Node: dns.lookup with `all`). */
export type ResolveHost = (hostname: string) => Promise<string[]>;
