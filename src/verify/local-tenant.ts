import { didForOrigin } from '../did/did-web.ts';
import { PLATFORM_TENANT_ID, TENANT_ID_PATTERN } from '../tenants/tenant-id.ts';

/**
 * The tenant a DID or issuer URL of this deployment names, or undefined for anyone else's.
 * Kept apart from the key store so the browser build can ask the same question with no database.
 */
export function localTenantOf(origin: URL, issuer: string): string | undefined {
  const did = didForOrigin(origin);
  if (issuer === did || issuer === origin.origin) return PLATFORM_TENANT_ID;
  const tenant = issuer.startsWith(`${did}:t:`)
    ? issuer.slice(did.length + 3)
    : issuer.startsWith(`${origin.origin}/t/`)
      ? issuer.slice(origin.origin.length + 3)
      : undefined;
  return tenant !== undefined && TENANT_ID_PATTERN.test(tenant) ? tenant : undefined;
}
