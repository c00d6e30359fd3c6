import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { runDoctor } from '../../src/doctor/checks.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey, type KeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { loadMigrations } from '../../src/runtime/node/migration-files.ts';
import { migrationRecords } from '../../src/store/migration-state.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { bootstrap } from '../../src/use-cases/bootstrap.ts';
import { createWebhook } from '../../src/use-cases/webhooks.ts';
import { allTenants } from '../http/helpers.ts';
import { engines, type TestDatabase } from '../support/databases.ts';

/*
 * `launchproof doctor`'s "the KEK opens every key" covers the tenant logs' keys as well as the
 * signing keys: a log key the KEK cannot open stops the tenant's log (its checkpoints can no
 * longer be signed), which an operator must hear of before the sequencer fails on it.
 */

describe.each(engines())('the doctor and the tenant logs’ keys, on $engine', ({ open }) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  async function deployment(): Promise<{ t: TestDatabase; kek: KeyEncryptionKey }> {
    t = await open();
    const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
    const now = new Date();
    await bootstrap({ db: t.db, kek, now }, { demoTenant: false });
    await createTenant({ db: t.db, kek, now, actor: 'test' }, { id: 'acme', name: 'Acme' });
    await createTenant({ db: t.db, kek, now, actor: 'test' }, { id: 'globex', name: 'Globex' });
    return { t, kek };
  }

  const kekCheck = async (t: TestDatabase, kek: KeyEncryptionKey) => {
    const results = await runDoctor({
      db: t.db,
      config: parseConfig({ LAUNCHPROOF_ENV: 'test', PUBLIC_URL: 'https://issuer.example' }),
      kek,
      kekSource: 'KEY_ENCRYPTION_KEY',
      migrations: await migrationRecords(await loadMigrations()),
      clock: () => new Date(),
      fetchJson: () => Promise.reject(new Error('no network')),
    });
    return results.find((r) => r.name === 'key-encryption key')!;
  };

  it('counts the log keys among the keys the KEK opens', async () => {
    const { t, kek } = await deployment();
    const [row] = await t.db.query<{ n: number }>(
      'select (select count(*) from signing_keys)::int + (select count(*) from log_keys)::int as n',
    );
    const check = await kekCheck(t, kek);
    expect(check.status).toBe('ok');
    expect(check.detail).toContain(`opens all ${row!.n} keys`);
  });

  it('fails, naming the tenant, when a webhook secret does not open (the dispatcher could not sign with it)', async () => {
    const { t, kek } = await deployment();
    const admin = { db: t.db, kek, now: new Date(), actor: 'test', allowLocal: false };
    await createWebhook(admin, 'acme', { url: 'https://hooks.example.com/a', eventTypes: ['key.revoked'] });
    await createWebhook(admin, 'globex', { url: 'https://hooks.example.com/g', eventTypes: ['key.revoked'] });
    expect((await kekCheck(t, kek)).status).toBe('ok');
    await allTenants(t.db, (tx) =>
      tx.query(
        `update webhooks set secret_sealed = (select secret_sealed from webhooks where tenant_id = 'globex') where tenant_id = 'acme'`,
      ),
    );
    const check = await kekCheck(t, kek);
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(/cannot open 1 of \d+ keys that may still sign \(tenants acme;/);
  });

  it('fails, naming the tenant, when a current log key does not open (here: another tenant’s sealed key copied onto its row)', async () => {
    const { t, kek } = await deployment();
    await t.db.query(`update log_keys set sealed = (select sealed from log_keys where tenant_id = 'globex') where tenant_id = 'acme'`);
    const check = await kekCheck(t, kek);
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(/cannot open 1 of \d+ keys that may still sign \(tenants acme;/);
  });
});
