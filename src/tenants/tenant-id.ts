import { z } from 'zod';

/**
 * A tenant id is a DNS-label-like slug: it appears in URLs and in `did:web:HOST:t:{id}`, where
 * a colon or percent would change the DID's meaning. `_platform` is reserved for the service's
 * own identity and can never be created through the API (the underscore fails this pattern).
 */
export const TENANT_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const PLATFORM_TENANT_ID = '_platform';

export const tenantIdSchema = z.string().regex(TENANT_ID_PATTERN, 'must be 1-63 lowercase letters, digits or inner hyphens');
