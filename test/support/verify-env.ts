import { localIssuerKeys, localTenantOf } from '../../src/verify/local-keys.ts';
import type { VerifyEnvironment } from '../../src/verify/pipeline.ts';
import { ORIGIN, type Harness } from './harness.ts';

/**
 * How a verifier next to the harness sees its credentials: this deployment's keys from the
 * database, status lists fetched through the app's public URLs, the harness clock.
 */
export function harnessVerification(h: Harness, overrides: Partial<VerifyEnvironment> = {}): VerifyEnvironment {
  const origin = new URL(ORIGIN);
  return {
    keys: localIssuerKeys(h.db, origin),
    statusLists: { fetch: async (url) => (await h.request('GET', new URL(url).pathname)).text() },
    isTrusted: (issuer) => localTenantOf(origin, issuer) !== undefined,
    now: h.clock(),
    skewSeconds: 60,
    ...overrides,
  };
}
