/**
 * did:web identifiers for this deployment (W3C CCG did:web method):
 *   did:web:HOST            -> https://HOST/.well-known/did.json
 *   did:web:HOST:t:TENANT   -> https://HOST/t/TENANT/did.json
 * The port separator is percent-encoded (`%3A`) because `:` separates path segments in the DID.
 */
export function didForOrigin(origin: URL): string {
  return `did:web:${encodeURIComponent(origin.host)}`;
}

export function didForPath(origin: URL, segments: readonly string[]): string {
  return [didForOrigin(origin), ...segments.map(encodeURIComponent)].join(':');
}

/** The https URL a did:web resolver fetches for a DID, per the method's read rules. */
export function didWebDocumentUrl(did: string): URL {
  const m = /^did:web:([^:#?/]+)((?::[^:#?/]+)*)$/.exec(did);
  if (!m) throw new TypeError(`not a did:web DID: ${did}`);
  const host = decodeURIComponent(m[1]!);
  const path = m[2] ? m[2].slice(1).split(':').map(decodeURIComponent) : ['.well-known'];
  return new URL(`https://${host}/${path.map(encodeURIComponent).join('/')}/did.json`);
}
