import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAttestations } from '../../src/attestations/issue.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey, type KeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { readOperationalGauges } from '../../src/metrics/store.ts';
import { setCredentialStatus } from '../../src/status/changes.ts';
import { publishList } from '../../src/status/publish.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { ORIGIN } from '../support/harness.ts';

const DAY_S = 86_400;
const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000);

/** The gauges /metrics reads at each scrape, from one statement, on both engines. */
describe.each(engines())('operational gauges on $engine', ({ open }) => {
  let t: TestDatabase;
  let kek: KeyEncryptionKey;
  let other: KeyEncryptionKey;

  beforeAll(async () => {
    t = await open();
    kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
    other = await importKeyEncryptionKey(generateKeyEncryptionKey());
    await createTenant({ db: t.db, kek, now: at(0), actor: 'test' }, { id: 'gauges', name: 'Gauges' });
  });
  afterAll(() => t.dispose());

  it('reads key age, time to rotation and the KEK check across tenants', async () => {
    const g = await readOperationalGauges(t.db, [kek.id], at(10 * DAY_S));
    expect(g).toEqual({
      keysSealedUnderOtherKek: 0,
      tenantsWithoutActiveKey: 0,
      oldestActiveKeyAgeSeconds: 10 * DAY_S,
      nextRotationDueSeconds: 80 * DAY_S,
      statusListsBehind: 0,
      statusPublicationLagSeconds: 0,
    });
    // An instance holding another KEK cannot open the signing key nor the waiting one.
    expect((await readOperationalGauges(t.db, [other.id], at(10 * DAY_S))).keysSealedUnderOtherKek).toBe(2);
    // A KEK being rotated in: keys under the previous one still count as openable.
    expect((await readOperationalGauges(t.db, [other.id, kek.id], at(10 * DAY_S))).keysSealedUnderOtherKek).toBe(0);
  });

  it('dates publication lag from the oldest change no published copy covers, and clears it once published', async () => {
    const deps = { db: t.db, kek, origin: new URL(ORIGIN), actor: 'test' };
    const issued = await issueAttestations({ ...deps, now: at(DAY_S) }, 'gauges', {
      assessment: readinessAssessment(),
      formats: ['vc+jwt'],
    });
    const id = issued.credentials[0]!.id.replace(/^urn:uuid:/, '');
    const changed = await setCredentialStatus(t.db, { now: at(DAY_S + 100), actor: 'test' }, 'gauges', id, {
      to: 'suspended',
      reason: 'gauge test',
    });
    const behind = await readOperationalGauges(t.db, [kek.id], at(DAY_S + 160));
    expect(behind).toMatchObject({ statusListsBehind: 1, statusPublicationLagSeconds: 60 });

    await publishList({ db: t.db, kek, origin: new URL(ORIGIN), now: at(DAY_S + 170) }, 'gauges', changed.outcome.lists[0]!);
    expect(await readOperationalGauges(t.db, [kek.id], at(DAY_S + 200))).toMatchObject({
      statusListsBehind: 0,
      statusPublicationLagSeconds: 0,
    });
  });

  it('counts a tenant whose keys are all revoked as one without a key to sign with', async () => {
    await t.db.transaction(async (tx) => {
      await tx.query(`select set_config('app.tenant_id', 'gauges', true)`);
      await tx.query(`update signing_keys set revoked_at = $1, revocation_reason = 'test' where tenant_id = 'gauges'`, [at(2 * DAY_S)]);
    });
    const g = await readOperationalGauges(t.db, [kek.id], at(3 * DAY_S));
    expect(g).toMatchObject({
      tenantsWithoutActiveKey: 1,
      keysSealedUnderOtherKek: 0,
      oldestActiveKeyAgeSeconds: 0,
      nextRotationDueSeconds: null,
    });
  });
});
