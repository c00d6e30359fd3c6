/**
 * Paths whose segments are bearer secrets: whoever reads them can act with them. A share link's
 * token opens the shared attestation; an OID4VCI offer reference fetches the offer. Logs keep the
 * shape of the request and lose the secret. Matched anywhere in the path and in any case: a
 * mistyped `//s/…` or `/S/…` finds no route, yet its token is as real as on the right path.
 */
const SECRET_SEGMENTS: readonly RegExp[] = [/(\/s\/)[^/]+/i, /(\/offers\/)[^/]+/i];

export function redactPath(path: string): string {
  for (const re of SECRET_SEGMENTS) if (re.test(path)) return path.replace(re, '$1[redacted]');
  return path;
}
