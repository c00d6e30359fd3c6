import { whenAbsent } from '../errors/index.ts';
import { base64urlDecode } from '../util/base64url.ts';
import { localTenantOf } from './local-keys.ts';
import { VerificationFailure } from './result.ts';
import type { StatusListSource } from './status.ts';

const LOCAL_LIST = /^\/t\/([a-z0-9-]+)\/status\/([A-Za-z0-9_-]{1,64})(\/revocation|\/suspension)?$/;

/** A list's three signed forms, as this deployment serves them. */
export interface LocalListForms {
  readonly token: string;
  readonly revocation: string;
  readonly suspension: string;
}

/**
 * This deployment's own lists are read from their latest signed copies (the service: its
 * in-memory projection), not fetched from itself over the network; anything else goes to `others`.
 */
export function localStatusLists(
  origin: URL,
  read: (tenantId: string, listId: string) => Promise<LocalListForms>,
  others?: StatusListSource,
): StatusListSource {
  return {
    async fetch(url) {
      let u: URL | undefined;
      try {
        u = new URL(url);
      } catch {
        u = undefined;
      }
      const m = u && u.origin === origin.origin ? LOCAL_LIST.exec(u.pathname) : null;
      if (!m || localTenantOf(origin, `${origin.origin}/t/${m[1]}`) === undefined) {
        if (!others) throw new VerificationFailure('status', 'unreachable_list', `${url} is not a status list of this deployment`);
        return others.fetch(url);
      }
      const forms = await whenAbsent(
        () => read(m[1]!, m[2]!),
        () => {
          throw new VerificationFailure('status', 'unreachable_list', `the status list at ${url} does not exist here`);
        },
        ['status_list_not_found', 'status_list_unpublished'],
      );
      return m[3] === '/revocation' ? forms.revocation : m[3] === '/suspension' ? forms.suspension : forms.token;
    },
  };
}

/** How long a fetched list may be reused: its `ttl` (seconds in a token, milliseconds in a W3C list), at most its expiry. */
function reuseUntil(jws: string, now: number): number {
  try {
    const payload = JSON.parse(new TextDecoder().decode(base64urlDecode(jws.split('.')[1] ?? ''))) as Record<string, unknown>;
    const subject = payload.credentialSubject as { ttl?: unknown } | undefined;
    const ttlMs = typeof payload.ttl === 'number' ? payload.ttl * 1000 : typeof subject?.ttl === 'number' ? subject.ttl : 0;
    const expires =
      typeof payload.exp === 'number'
        ? payload.exp * 1000
        : typeof payload.validUntil === 'string'
          ? Date.parse(payload.validUntil)
          : Infinity;
    return Math.min(now + Math.max(0, ttlMs), expires);
  } catch {
    return now;
  }
}

/**
 * Honours each list's `ttl`: a list fetched once is reused until its ttl (or expiry) runs out.
 * What is cached is the signed text; every use verifies it again, so the cache can never make
 * an unsigned or foreign list acceptable.
 */
export type StatusListCache = Map<string, { jws: string; until: number }>;

export function cachingStatusLists(
  inner: StatusListSource,
  clock: () => Date,
  cache: StatusListCache = new Map(),
  maxEntries = 1000,
): StatusListSource {
  return {
    async fetch(url) {
      const now = clock().getTime();
      const hit = cache.get(url);
      if (hit && hit.until > now) return hit.jws;
      const jws = await inner.fetch(url);
      cache.delete(url);
      if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
      cache.set(url, { jws, until: reuseUntil(jws, now) });
      return jws;
    },
  };
}
