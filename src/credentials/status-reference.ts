/**
 * Where one list is published, as a credential names it (status/urls.ts lays the URLs out). Here
 * rather than in status/: every credential format renders its status entry, and credentials sit
 * below status (the status domain signs its lists with the credentials' signer).
 */
export interface StatusListUrls {
  readonly token: string;
  readonly revocation: string;
  readonly suspension: string;
}

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
