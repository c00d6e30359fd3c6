/**
 * A credential naming a tenant of this deployment that does not exist (or no longer does) is a
 * credential whose key, list or notice is not there: a refusal in its report, never a 5xx. A
 * storage failure behind the same read is not the credential's fault and still throws.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors/index.ts';
import { localIssuerKeys } from '../../src/verify/local-keys.ts';
import { localStatusLists } from '../../src/verify/status-sources.ts';

const origin = new URL('https://issuer.test');
const did = 'did:web:issuer.test:t:ghost';
const noTenant = () => Promise.reject(new AppError('tenant_not_found', 'tenant ghost does not exist'));
const storageDown = () => Promise.reject(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' }));

describe('reading the keys and lists of a tenant that does not exist', () => {
  it('reports an unknown key, whether the issuer is named by DID or by URL', async () => {
    const keys = localIssuerKeys(origin, noTenant);
    await expect(keys.fromDid(did, `${did}#abc`)).rejects.toMatchObject({ check: 'issuer_key', code: 'unknown_key' });
    await expect(keys.fromIssuerMetadata('https://issuer.test/t/ghost', 'abc')).rejects.toMatchObject({ code: 'unknown_key' });
  });

  it('reports an unreachable list for a missing tenant, list or published copy alike', async () => {
    for (const code of ['tenant_not_found', 'status_list_not_found', 'status_list_unpublished'] as const) {
      const lists = localStatusLists(origin, () => Promise.reject(new AppError(code, 'absent')));
      await expect(lists.fetch('https://issuer.test/t/ghost/status/l1')).rejects.toMatchObject({
        check: 'status',
        code: 'unreachable_list',
      });
    }
  });

  it('lets a storage failure through instead of blaming the credential', async () => {
    await expect(localIssuerKeys(origin, storageDown).fromDid(did, `${did}#abc`)).rejects.toThrow('connection refused');
    await expect(localStatusLists(origin, storageDown).fetch('https://issuer.test/t/ghost/status/l1')).rejects.toThrow(
      'connection refused',
    );
  });
});
