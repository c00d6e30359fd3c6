import type { StatusListUrls } from '../credentials/status-reference.ts';
import { issuerIdentity } from '../did/issuer-identity.ts';

/**
 * Where one list is published. The token's `sub` must equal the URL it is fetched from and the
 * `uri` credentials carry, and each Bitstring credential's `id` its own URL: all come from here.
 */
export function statusListUrls(origin: URL, tenantId: string, listId: string): StatusListUrls {
  const token = `${issuerIdentity(origin, tenantId).issuerUrl}/status/${listId}`;
  return { token, revocation: `${token}/revocation`, suspension: `${token}/suspension` };
}
