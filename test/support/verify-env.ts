import { Projection } from '../../src/projection/projection.ts';
import { keyHistory } from '../../src/projection/verification.ts';
import type { Database } from '../../src/store/port.ts';
import type { IssuerKeySource } from '../../src/verify/issuer-keys.ts';
import { localIssuerKeys, localTenantOf } from '../../src/verify/local-keys.ts';
import type { VerifyEnvironment } from '../../src/verify/pipeline.ts';
import { ORIGIN, type Harness } from './harness.ts';

/** This deployment's keys read from its database, as the service's verifier reads them (through a projection of its own). */
export function databaseKeys(db: Database, origin: URL, others?: IssuerKeySource): IssuerKeySource {
  const projection = new Projection();
  return localIssuerKeys(origin, (tenant) => keyHistory(projection, db, tenant), others);
}

/**
 * How a verifier next to the harness sees its credentials: this deployment's keys from the
 * database, status lists fetched through the app's public URLs, the harness clock.
 */
export function harnessVerification(h: Harness, overrides: Partial<VerifyEnvironment> = {}): VerifyEnvironment {
  const origin = new URL(ORIGIN);
  return {
    keys: databaseKeys(h.db, origin),
    statusLists: { fetch: async (url) => (await h.request('GET', new URL(url).pathname)).text() },
    isTrusted: (issuer) => localTenantOf(origin, issuer) !== undefined,
    now: h.clock(),
    skewSeconds: 60,
    ...overrides,
  };
}
