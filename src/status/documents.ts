import { CompactSign, SignJWT } from 'jose';
import { seconds } from '../credentials/attestation.ts';
import type { IssuerSigner } from '../credentials/signer.ts';
import { issuerIdentity } from '../did/issuer-identity.ts';
import { StatusList } from './bitstring.ts';
import { encodeBitstringStatusList, encodeTokenStatusList } from './codec.ts';
import type { StatusListUrls } from '../credentials/status-reference.ts';
import { TOKEN_STATUS_BITS, TOKEN_STATUS_VALUE, type CredentialStatus } from './values.ts';

/** How long a consumer may cache a list before fetching it again (the token's `ttl`, seconds). */
export const STATUS_LIST_TTL_SECONDS = 300;
/** How long one signed copy stays valid (`exp`, `validUntil`); it is re-signed well before. */
export const STATUS_LIST_VALIDITY_SECONDS = 24 * 3600;
/** A copy with less than this left is re-signed by the sweep (hourly Cron Trigger on Workers). */
export const STATUS_LIST_REFRESH_SECONDS = 12 * 3600;

export const STATUS_LIST_TOKEN_MEDIA_TYPE = 'application/statuslist+jwt';

/** A slot whose status is not valid: only these set bits. */
export interface StatusEntry {
  readonly idx: number;
  readonly status: CredentialStatus;
}

export interface SignedStatusDocuments {
  readonly token: string;
  readonly revocation: string;
  readonly suspension: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

/** The three lists over the same indices: 2-bit token values, and one bit per W3C purpose. */
function lists(size: number, entries: readonly StatusEntry[]) {
  const token = new StatusList(size, TOKEN_STATUS_BITS);
  const revocation = new StatusList(size, 1);
  const suspension = new StatusList(size, 1);
  for (const e of entries) {
    token.set(e.idx, TOKEN_STATUS_VALUE[e.status]);
    if (e.status === 'revoked') revocation.set(e.idx, 1);
    else if (e.status === 'suspended') suspension.set(e.idx, 1);
  }
  return { token, revocation, suspension };
}

/**
 * W3C Bitstring Status List v1.0 credential for one purpose, secured as `vc+jwt` like our
 * VCDM 2.0 credentials: same issuer DID, `kid` a DID URL, the claims set is the credential.
 */
async function bitstringCredential(
  purpose: 'revocation' | 'suspension',
  encodedList: string,
  url: string,
  signer: IssuerSigner,
  origin: URL,
  issuedAt: Date,
  expiresAt: Date,
): Promise<string> {
  const credential = {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: url,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: issuerIdentity(origin, signer.tenantId).did,
    validFrom: issuedAt.toISOString(),
    validUntil: expiresAt.toISOString(),
    credentialSubject: {
      id: `${url}#list`,
      type: 'BitstringStatusList',
      statusPurpose: purpose,
      encodedList,
      // Milliseconds here, seconds in the IETF token: the two specs differ.
      ttl: STATUS_LIST_TTL_SECONDS * 1000,
    },
  };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(credential)))
    .setProtectedHeader({ alg: signer.alg, kid: signer.didUrl, typ: 'vc+jwt', cty: 'vc' })
    .sign(signer.key);
}

/**
 * Signs one list in its three published forms. The token names its issuer by URL and its key by
 * thumbprint, as the SD-JWT VCs that point at it do, so one lookup of `/.well-known/jwt-vc-issuer`
 * verifies both; its `sub` is the URL it is served from, as the draft requires.
 */
export async function signStatusDocuments(input: {
  readonly size: number;
  readonly entries: readonly StatusEntry[];
  readonly urls: StatusListUrls;
  readonly signer: IssuerSigner;
  readonly origin: URL;
  readonly now: Date;
}): Promise<SignedStatusDocuments> {
  // Whole seconds, so `iat` and `validFrom` name the same instant.
  const issuedAt = new Date(seconds(input.now) * 1000);
  const expiresAt = new Date(issuedAt.getTime() + STATUS_LIST_VALIDITY_SECONDS * 1000);
  const l = lists(input.size, input.entries);
  // Each document is signed as soon as its own list is compressed: on Node the three compress
  // side by side on the thread pool (src/runtime/node/zlib-compression.ts), and the smaller two
  // finish first.
  const [token, revocation, suspension] = await Promise.all([
    encodeTokenStatusList(l.token).then((statusList) =>
      new SignJWT({ status_list: statusList, ttl: STATUS_LIST_TTL_SECONDS })
        .setProtectedHeader({ alg: input.signer.alg, kid: input.signer.kid, typ: 'statuslist+jwt' })
        .setIssuer(issuerIdentity(input.origin, input.signer.tenantId).issuerUrl)
        .setSubject(input.urls.token)
        .setIssuedAt(seconds(issuedAt))
        .setExpirationTime(seconds(expiresAt))
        .sign(input.signer.key),
    ),
    encodeBitstringStatusList(l.revocation).then((encodedList) =>
      bitstringCredential('revocation', encodedList, input.urls.revocation, input.signer, input.origin, issuedAt, expiresAt),
    ),
    encodeBitstringStatusList(l.suspension).then((encodedList) =>
      bitstringCredential('suspension', encodedList, input.urls.suspension, input.signer, input.origin, issuedAt, expiresAt),
    ),
  ]);
  return { token, revocation, suspension, issuedAt, expiresAt };
}
