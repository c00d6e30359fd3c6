/**
 * Paths whose segments are bearer secrets: whoever reads them can act with them. A share link's
 * token opens the shared attestation; an OID4VCI offer reference fetches the offer. Logs keep the
 * shape of the request and lose the secret.
 */
const SECRET_SEGMENTS: readonly RegExp[] = [/^(\/s\/)[^/]+/, /^(\/t\/[^/]+\/offers\/)[^/]+/];

export function redactPath(path: string): string {
  for (const re of SECRET_SEGMENTS) if (re.test(path)) return path.replace(re, '$1[redacted]');
  return path;
}
