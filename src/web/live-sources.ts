import { noticeFromJson, noticeUrl, type NoticeSource } from '../verify/notices.ts';
import { VerificationFailure } from '../verify/result.ts';
import type { StatusListSource } from '../verify/status.ts';

/** The few request options the page sets; a subset of every runtime's RequestInit. */
export interface PageRequestInit {
  readonly cache?: 'no-cache';
  readonly redirect?: 'error';
  readonly credentials?: 'omit';
  readonly headers?: Record<string, string>;
}

/** The browser's fetch, or in tests the app's own: the page only ever reads from its own origin. */
export type PageFetch = (url: string, init?: PageRequestInit) => Promise<Response>;

/**
 * Asks the site again each time rather than trusting the HTTP cache's copy for its max-age: a
 * buyer who reloads after hearing of a revocation must see it. An unchanged list costs a 304.
 */
export const FRESH: PageRequestInit = { cache: 'no-cache', redirect: 'error', credentials: 'omit' };

function sameOrigin(origin: URL, url: string): boolean {
  try {
    return new URL(url).origin === origin.origin;
  } catch {
    return false;
  }
}

/**
 * Status lists fetched live from this site. A list anywhere else is refused, not fetched: the
 * page must never be made to reach an address a credential names.
 */
export function liveStatusLists(origin: URL, fetch: PageFetch): StatusListSource {
  const unreachable = (url: string, why: string) =>
    new VerificationFailure('status', 'unreachable_list', `the status list at ${url} ${why}`);
  return {
    async fetch(url) {
      if (!sameOrigin(origin, url)) throw unreachable(url, `is not on ${origin.origin}, and this page reads from nowhere else`);
      let res: Response;
      try {
        res = await fetch(url, FRESH);
      } catch {
        throw unreachable(url, 'could not be reached');
      }
      if (!res.ok) throw unreachable(url, `answered ${res.status}`);
      return res.text();
    },
  };
}

/** The issuer's public notices (since when, why, what replaced it), from this site only; a notice that cannot be had is left out. */
export function liveNotices(origin: URL, fetch: PageFetch): NoticeSource {
  return async (issuer, credentialId) => {
    const url = noticeUrl(issuer, credentialId);
    if (!url || !sameOrigin(origin, url)) return undefined;
    const res = await fetch(url, { ...FRESH, headers: { accept: 'application/json' } });
    if (!res.ok) return undefined;
    return noticeFromJson(await res.json());
  };
}
