import { renderErrorPage } from './error-page.ts';

/** Pages load their one stylesheet and one script from this origin, post only here, and are framed nowhere. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** A page response: HTML under the page CSP; `maxAge` for public pages, otherwise never stored. */
export function htmlResponse(html: string, status = 200, options: { maxAge?: number } = {}): Response {
  return new Response(html, {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': PAGE_CSP,
      'cache-control': options.maxAge ? `public, max-age=${options.maxAge}` : 'no-store',
    },
  });
}

/** The paths answered with pages, whose errors are pages too; their badges and assets are not pages. */
export function isPagePath(path: string): boolean {
  return path === '/' || path === '/verify' || /^\/s\/[^/]+$/.test(path);
}

const WORDS: Readonly<Record<string, { heading: string; message: string }>> = {
  share_not_found: {
    heading: 'No such link',
    message: 'This share link does not exist. Check that the whole link was copied, or ask the vendor for it again.',
  },
  not_found: {
    heading: 'Page not found',
    message: 'There is nothing at this address. Check the link you were given, or paste the credential on the verification page.',
  },
  payload_too_large: {
    heading: 'Too large to check',
    message: 'What was submitted is larger than any credential this service reads. Paste only the credential itself.',
  },
  unsupported_media_type: {
    heading: 'Cannot read this submission',
    message: 'Submit the credential with the form on the verification page.',
  },
  rate_limited: {
    heading: 'Too many checks',
    message: 'This connection has asked for many checks in a short time. Wait a minute, then try again.',
  },
  invalid_request: {
    heading: 'Cannot read this submission',
    message: 'The request is not one this page understands. Use the form on the verification page.',
  },
  method_not_allowed: {
    heading: 'Cannot do that here',
    message: 'This page cannot be used that way. Use the links and forms on the page.',
  },
  storage_unavailable: {
    heading: 'Temporarily unavailable',
    message: 'This service cannot reach its records right now. Try again in a few minutes.',
  },
};
const FALLBACK = {
  heading: 'Something went wrong',
  message:
    'This service could not complete the request. Try again later; if it persists, quote the code below to the vendor or the operator.',
};

/** An error on a page path, as a page: the same code and status the API would give, in words. */
export function errorPageResponse(code: string, status: number, requestId?: string, extra: Record<string, string> = {}): Response {
  const words = (Object.hasOwn(WORDS, code) ? WORDS[code] : undefined) ?? FALLBACK;
  const res = htmlResponse(renderErrorPage({ status, code, ...words, ...(requestId ? { requestId } : {}) }), status);
  for (const [name, value] of Object.entries(extra)) res.headers.set(name, value);
  return res;
}
