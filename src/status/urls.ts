import { issuerIdentity } from '../did/issuer-identity.ts';

/**
 * Where one list is published. The token's `sub` must equal the URL it is fetched from and the
 * `uri` credentials carry, and each Bitstring credential's `id` its own URL: all come from here.
 */
export function statusListUrls(origin: URL, tenantId: string, listId: string) {
  const token = `${issuerIdentity(origin, tenantId).issuerUrl}/status/${listId}`;
  return { token, revocation: `${token}/revocation`, suspension: `${token}/suspension` };
}
export type StatusListUrls = ReturnType<typeof statusListUrls>;

/** The slot a credential points at, as every format renders it. */
export interface StatusReference {
  readonly index: number;
  readonly urls: StatusListUrls;
}

/** VC Data Model `credentialStatus`: one BitstringStatusListEntry per purpose, same index in both lists. */
export function bitstringStatusEntries(ref: StatusReference) {
  return (['revocation', 'suspension'] as const).map((purpose) => ({
    id: `${ref.urls[purpose]}#${ref.index}`,
    type: 'BitstringStatusListEntry',
    statusPurpose: purpose,
    // A string: the W3C spec defines statusListIndex as the decimal text of an integer.
    statusListIndex: String(ref.index),
    statusListCredential: ref.urls[purpose],
  }));
}

/** SD-JWT VC / Token Status List `status` claim (the "Referenced Token" side). */
export function tokenStatusClaim(ref: StatusReference) {
  return { status_list: { idx: ref.index, uri: ref.urls.token } };
}
