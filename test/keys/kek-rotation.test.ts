import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { createApp } from '../../src/http/app.ts';
import { keysSealedUnderOtherKek } from '../../src/keys/kek-check.ts';
import { rotateKek } from '../../src/use-cases/kek-rotation.ts';
import {
  generateKeyEncryptionKey,
  importKeyEncryptionKey,
  openPrivateJwk,
  withPreviousKek,
  type KeyEncryptionKey,
} from '../../src/keys/key-crypto.ts';
import { createJsonLogger } from '../../src/log/logger.ts';
import type { Database, Queryable } from '../../src/store/port.ts';
import { acrossTenants } from '../../src/store/tenant-scope.ts';
import { bootstrap } from '../../src/use-cases/bootstrap.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { fixedClock, ORIGIN, testWebAssets } from '../support/harness.ts';

/**
 * The real database, except that the re-sealing UPDATE fails after `n` successes, inside its
 * transaction, as a process killed mid-run (or a connection lost) would leave it: rolled back.
 */
function crashingAfter(db: Database, n: number): Database {
  let updates = 0;
  const guard = (q: Queryable): Queryable => ({
    query: async (text, params) => {
      if (/^update signing_keys set private_jwk_enc/.test(text.trim()) && ++updates > n) throw new Error('connection lost');
      return q.query(text, params);
    },
    exec: (text) => q.exec(text),
  });
  return { ...db, transaction: (fn) => db.transaction((tx) => fn(guard(tx))) };
}

async function kekIds(db: Database): Promise<Record<string, number>> {
  const rows = await acrossTenants(db, (tx) =>
    tx.query<{ kek_id: string; n: number }>('select kek_id, count(*)::int as n from signing_keys group by kek_id'),
  );
  return Object.fromEntries(rows.map((r) => [r.kek_id, r.n]));
}

describe.each(engines())('launchproof kek rotate on $engine', ({ open }) => {
  let t: TestDatabase | undefined;
  afterEach(() => t?.dispose());

  it('re-seals half, dies, resumes on a second run; issuance and verification work throughout; then the new KEK alone opens every key', async () => {
    t = await open();
    const { db } = t;
    const oldKek = await importKeyEncryptionKey(generateKeyEncryptionKey());
    const newKek = await importKeyEncryptionKey(generateKeyEncryptionKey());
    const overlap = withPreviousKek(newKek, oldKek);
    const clock = fixedClock();
    const config = parseConfig({ LAUNCHPROOF_ENV: 'test', PUBLIC_URL: ORIGIN });
    const { adminToken } = await bootstrap({ db, kek: oldKek, now: clock() }, { demoTenant: false });

    // One app per KEK configuration, as a process restarted with other settings would be.
    const service = (kek: KeyEncryptionKey) => {
      const app = createApp({
        config,
        kek,
        clock,
        log: createJsonLogger('error', () => {}),
        fetch: () => Promise.reject(new Error('no network in tests')),
        webAssets: testWebAssets(),
      });
      const call = async (method: string, path: string, body?: unknown) =>
        app.fetch(
          new Request(`${ORIGIN}${path}`, {
            method,
            headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          }),
          { db },
        );
      return {
        call,
        issue: async (tenant: string) => {
          const res = await call('POST', `/v1/t/${tenant}/attestations`, { assessment: readinessAssessment(), formats: ['vc+jwt'] });
          expect(res.status, await res.clone().text()).toBe(201);
          return ((await res.json()) as { credentials: { credential: string }[] }).credentials[0]!.credential;
        },
        verified: async (credential: string) => {
          const res = await call('POST', '/v1/verify', { credential });
          return ((await res.json()) as { verified: boolean }).verified;
        },
      };
    };

    const before = service(oldKek);
    for (const id of ['acme', 'globex', 'initech']) expect((await before.call('POST', '/v1/tenants', { id, name: id })).status).toBe(201);
    // A retired key is re-sealed too: nothing stays under a KEK that is about to be destroyed.
    expect((await before.call('POST', '/v1/t/acme/keys/rotate')).status).toBe(200);
    const issuedBefore = await before.issue('acme');
    const total = Object.values(await kekIds(db)).reduce((a, b) => a + b, 0);
    expect(await kekIds(db)).toEqual({ [oldKek.id]: total });

    // The first run dies after four keys, in batches of three: the fifth key's transaction rolls back.
    await expect(rotateKek({ db: crashingAfter(db, 4), kek: overlap, now: clock, actor: 'test' }, { batchSize: 3 })).rejects.toThrow(
      'connection lost',
    );
    expect(await kekIds(db)).toEqual({ [newKek.id]: 4, [oldKek.id]: total - 4 });

    // Half-way, a process holding both KEKs issues for every tenant and verifies old and new credentials.
    const during = service(overlap);
    const issuedDuring: string[] = [];
    for (const tenant of ['acme', 'globex', 'initech']) issuedDuring.push(await during.issue(tenant));
    for (const c of [issuedBefore, ...issuedDuring]) expect(await during.verified(c)).toBe(true);

    // The second run finishes the job; a third finds nothing left.
    const resumed = await rotateKek({ db, kek: overlap, now: clock, actor: 'test' }, { batchSize: 3 });
    // The rest of the signing keys, then the log key of each tenant (made with it), the platform's too.
    expect(resumed).toMatchObject({ fromKekId: oldKek.id, toKekId: newKek.id, resealed: total - 4 + 4, unopenable: [] });
    const logKeys = await acrossTenants(db, (tx) =>
      tx.query<{ kek_id: string; tenant_id: string }>('select kek_id, tenant_id from log_keys order by tenant_id'),
    );
    expect(logKeys).toEqual(['_platform', 'acme', 'globex', 'initech'].map((tenant_id) => ({ kek_id: newKek.id, tenant_id })));
    expect((await rotateKek({ db, kek: overlap, now: clock, actor: 'test' })).resealed).toBe(0);
    expect(await kekIds(db)).toEqual({ [newKek.id]: total });

    // Only the new KEK opens every key; the old one opens none.
    const sealed = await acrossTenants(db, (tx) =>
      tx.query<{ tenant_id: string; kid: string; private_jwk_enc: string }>('select tenant_id, kid, private_jwk_enc from signing_keys'),
    );
    for (const k of sealed) {
      await expect(openPrivateJwk(newKek, k.tenant_id, k.kid, k.private_jwk_enc)).resolves.toHaveProperty('d');
      await expect(openPrivateJwk(oldKek, k.tenant_id, k.kid, k.private_jwk_enc)).rejects.toThrow();
    }
    expect(await keysSealedUnderOtherKek(db, newKek)).toEqual([]);

    // After the overlap, the new KEK alone issues for every tenant, and everything issued verifies.
    const after = service(newKek);
    for (const tenant of ['acme', 'globex', 'initech']) expect(await after.verified(await after.issue(tenant))).toBe(true);
    for (const c of [issuedBefore, ...issuedDuring]) expect(await after.verified(c)).toBe(true);

    // Audited: every run in the platform's log, every key in its tenant's log; KEK ids only.
    const events = await acrossTenants(db, (tx) =>
      tx.query<{ action: string; detail: Record<string, unknown> }>(
        `select action, detail from audit_events where action like 'kek.%' or action = 'key.resealed' order by id`,
      ),
    );
    expect(events.filter((e) => e.action === 'kek.rotation_started')).toHaveLength(3);
    expect(events.filter((e) => e.action === 'kek.rotation_finished').map((e) => e.detail.resealed)).toEqual([total - 4 + 4, 0]);
    expect(events.filter((e) => e.action === 'key.resealed')).toHaveLength(total);
    expect(JSON.stringify(events)).not.toMatch(/"d"|private/);
  });
});
