import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey, importKeyEncryptionKey, type KeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { listKeys } from '../../src/keys/key-store.ts';
import { keyState } from '../../src/keys/lifecycle.ts';
import { rotateIfDue } from '../../src/keys/rotation.ts';
import { rotateDueKeys } from '../../src/keys/sweep.ts';
import { createJsonLogger } from '../../src/log/logger.ts';
import { openPostgres } from '../../src/runtime/postgres/database.ts';
import type { Database } from '../../src/store/port.ts';
import { acrossTenants, withTenant } from '../../src/store/tenant-scope.ts';
import { bootstrap } from '../../src/use-cases/bootstrap.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { createPostgresDatabase, postgresAvailable } from '../support/databases.ts';
import { skipBecause } from '../support/skip.ts';

/**
 * Several service instances against one real PostgreSQL: separate pools, as separate
 * processes would have. PGlite is single-process, so these races only exist here.
 */
describe.skipIf(
  skipBecause(
    !postgresAvailable(),
    'set TEST_POSTGRES_URL to a PostgreSQL 15 server this run may create databases on (.ci/run starts one)',
  ),
)('instances racing on real PostgreSQL', () => {
  let url: string;
  let drop: () => Promise<void>;
  let instances: Database[];
  let kek: KeyEncryptionKey;
  const silent = createJsonLogger('error', () => {});

  beforeAll(async () => {
    ({ url, drop } = await createPostgresDatabase());
    instances = [0, 1, 2, 3].map(() => openPostgres(url, { max: 5 }));
    kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
  });
  afterAll(async () => {
    await Promise.all(instances.map((d) => d.close()));
    await drop();
  });

  it('first start on four instances at once: one platform, one demo tenant, one bootstrap admin key', async () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const outcomes = await Promise.all(instances.map((db) => bootstrap({ db, kek, now }, { demoTenant: true })));
    expect(outcomes.filter((o) => o.adminToken)).toHaveLength(1);
    const [counts] = await acrossTenants(instances[0]!, (tx) =>
      tx.query<{ tenants: number; keys: number; api_keys: number }>(
        `select (select count(*)::int from tenants) as tenants, (select count(*)::int from signing_keys) as keys, (select count(*)::int from api_keys) as api_keys`,
      ),
    );
    expect(counts).toEqual({ tenants: 2, keys: 4, api_keys: 1 });
  });

  it('two schedulers firing at the same moment produce exactly one rotation', async () => {
    const created = new Date('2026-01-01T00:00:00Z');
    await createTenant({ db: instances[0]!, kek, now: created, actor: 'test' }, { id: 'race', name: 'race' });
    const due = new Date(created.getTime() + 91 * 86_400_000);
    const keysBefore = await withTenant(instances[0]!, 'race', (tx) => listKeys(tx, 'race'));

    // Every instance, twice over, asks for the due rotation at the same instant.
    const outcomes = await Promise.all(
      [...instances, ...instances].map((db) => rotateIfDue({ db, kek, now: due, actor: 'scheduler' }, 'race')),
    );

    expect(outcomes.filter((o) => o.rotated)).toHaveLength(1);
    const keysAfter = await withTenant(instances[0]!, 'race', (tx) => listKeys(tx, 'race'));
    expect(keysAfter).toHaveLength(keysBefore.length + 1);
    const states = keysAfter.map((k) => keyState(k, due));
    expect(states.filter((s) => s === 'active')).toHaveLength(1);
    expect(states.filter((s) => s === 'next')).toHaveLength(1);
    expect(states.filter((s) => s === 'retired')).toHaveLength(1);
    const events = await withTenant(instances[0]!, 'race', (tx) =>
      tx.query(`select 1 from audit_events where tenant_id = 'race' and action = 'key.rotated'`),
    );
    expect(events).toHaveLength(1);
    // Every caller agrees on the outcome: the same signing key afterwards.
    expect(new Set(outcomes.map((o) => o.activeKid)).size).toBe(1);
  });

  it('the sweep on every instance at once rotates each due tenant once', async () => {
    const created = new Date('2026-03-01T00:00:00Z');
    for (const id of ['sweep-a', 'sweep-b']) await createTenant({ db: instances[0]!, kek, now: created, actor: 'test' }, { id, name: id });
    const due = new Date(created.getTime() + 95 * 86_400_000);
    const results = await Promise.all(instances.map((db) => rotateDueKeys({ db, kek, now: due, log: silent })));
    const rotated = results.flatMap((r) => r.rotated).filter((id) => id.startsWith('sweep-'));
    expect(rotated.sort()).toEqual(['sweep-a', 'sweep-b']);
    expect(results.flatMap((r) => r.failed)).toEqual([]);
  });
});
