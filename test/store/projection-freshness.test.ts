/**
 * Issue 12, point 2: the projection's two ways of staying fresh, each alone, on each engine.
 * A change is made the way another instance's would arrive here: committed by raw SQL that
 * this process's own commit hook (store/publication-changes.ts) never hears of, so only the
 * version in publication_versions can tell the projection about it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey, importKeyEncryptionKey, type KeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { listKeys } from '../../src/keys/key-store.ts';
import { keyState } from '../../src/keys/lifecycle.ts';
import { createJsonLogger } from '../../src/log/logger.ts';
import { keyDocument } from '../../src/projection/documents.ts';
import { DEFAULT_POLL_MS, followChanges, type Following } from '../../src/projection/follow.ts';
import { DEFAULT_BOUND_MS, Projection } from '../../src/projection/projection.ts';
import type { Database } from '../../src/store/port.ts';
import { acrossTenants, withTenant } from '../../src/store/tenant-scope.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { openPostgres } from '../../src/runtime/postgres/database.ts';
import { engines, freshPostgres, postgresAvailable, type TestDatabase } from '../support/databases.ts';
import { skipBecause } from '../support/skip.ts';
import { tcpProxy } from '../support/tcp-proxy.ts';

const ORIGIN = new URL('https://issuer.example');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const silent = createJsonLogger('error', () => {});

/** The same database without LISTEN: what a process whose notifications never arrive has left. */
function withoutListen(db: Database): Database {
  return {
    engine: db.engine,
    query: (text, params) => db.query(text, params),
    exec: (text) => db.exec(text),
    transaction: (fn) => db.transaction(fn),
    close: () => db.close(),
  };
}

describe.each(engines())('projection freshness on $engine', ({ open }) => {
  let t: TestDatabase;
  let db: Database;
  let kek: KeyEncryptionKey;
  let n = 0;
  const following: Following[] = [];

  beforeAll(async () => {
    t = await open();
    db = t.db;
    kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
  });
  afterAll(async () => {
    for (const f of following) await f.stop();
    await t.dispose();
  });

  async function tenant() {
    const id = `fresh-${++n}`;
    await createTenant({ db, kek, now: new Date(), actor: 'test' }, { id, name: id });
    const keys = await withTenant(db, id, (tx) => listKeys(tx, id));
    const kidIn = (state: string) => keys.find((k) => keyState(k, new Date()) === state)!.kid;
    return { id, active: kidIn('active'), next: kidIn('next') };
  }

  /** Revokes a key as another instance would: committed, version bumped by the trigger, and nothing said to this process. */
  const revokeBehindTheBack = (tenantId: string, kid: string) =>
    acrossTenants(db, (tx) =>
      tx.query(`update signing_keys set revoked_at = now(), revocation_reason = 'compromised' where tenant_id = $1 and kid = $2`, [
        tenantId,
        kid,
      ]),
    );

  const jwksKids = async (projection: Projection, from: Database, tenantId: string) => {
    const doc = await keyDocument(projection, from, { origin: ORIGIN, clock: () => new Date() }, tenantId, 'jwks');
    return (JSON.parse(doc.body) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
  };

  it('without notifications the poll alone brings a change within the bound, and nothing else does', async () => {
    const acme = await tenant();
    const pollOnly = withoutListen(db);
    // Two followers on the same database, neither listening: one polls at the default period,
    // the other effectively never after its first read of the versions.
    const polled = new Projection();
    const unpolled = new Projection();
    following.push(await followChanges(polled, pollOnly, silent), await followChanges(unpolled, pollOnly, silent, { pollMs: 3_600_000 }));
    expect(polled.mode).toBe('notified');
    for (const p of [polled, unpolled]) expect(await jwksKids(p, pollOnly, acme.id)).toContain(acme.next);

    await revokeBehindTheBack(acme.id, acme.next);
    const changedAt = performance.now();
    let elapsed: number | undefined;
    while (elapsed === undefined) {
      if (!(await jwksKids(polled, pollOnly, acme.id)).includes(acme.next)) elapsed = performance.now() - changedAt;
      else if (performance.now() - changedAt > 10_000) throw new Error('the poll never brought the revocation');
      else await sleep(20);
    }
    console.log(
      `projection poll without LISTEN (${db.engine}): revocation served after ${Math.round(elapsed)} ms (poll every ${DEFAULT_POLL_MS} ms)`,
    );
    expect(elapsed).toBeLessThanOrEqual(DEFAULT_BOUND_MS);

    // The follower that has not polled since still serves the key from memory: it was the poll,
    // not the read, that learnt of the change.
    expect(await jwksKids(unpolled, pollOnly, acme.id)).toContain(acme.next);
  });

  it('on read (Workers): a change is served once the bound has passed since the last version check, and not before', async () => {
    const acme = await tenant();
    let now = 0;
    const projection = new Projection({ elapsed: () => now });
    expect(projection.mode).toBe('on-read');
    expect(await jwksKids(projection, db, acme.id)).toContain(acme.next);
    const checks = projection.stats().versionChecks;

    await revokeBehindTheBack(acme.id, acme.next);
    now = DEFAULT_BOUND_MS - 1;
    expect(await jwksKids(projection, db, acme.id)).toContain(acme.next);
    expect(projection.stats().versionChecks).toBe(checks);

    now = DEFAULT_BOUND_MS;
    expect(await jwksKids(projection, db, acme.id)).not.toContain(acme.next);
    expect(projection.stats().versionChecks).toBe(checks + 1);
  });
});

describe.skipIf(skipBecause(!postgresAvailable(), 'set TEST_POSTGRES_URL to a PostgreSQL 15 server this run may create databases on'))(
  'on read, while PostgreSQL cannot be reached (the Worker’s case)',
  () => {
    it('serves from memory until the bound has passed since the last check, then refuses as unavailable, and serves again once it is back', async () => {
      const t = await freshPostgres();
      const relay = await tcpProxy(t.url!);
      try {
        const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
        await createTenant({ db: t.db, kek, now: new Date(), actor: 'test' }, { id: 'acme', name: 'Acme' });
        let now = 0;
        const projection = new Projection({ elapsed: () => now });
        // As a Worker does: a connection of its own for each request, closed after it.
        const request = async () => {
          const db = openPostgres(relay.url, { max: 1 });
          try {
            return await keyDocument(projection, db, { origin: ORIGIN, clock: () => new Date() }, 'acme', 'jwks');
          } finally {
            await db.close().catch(() => {});
          }
        };
        const warm = await request();

        await relay.cut();
        now = DEFAULT_BOUND_MS - 1;
        expect(await request()).toEqual(warm);
        now = DEFAULT_BOUND_MS;
        await expect(request()).rejects.toMatchObject({ code: 'storage_unavailable' });

        await relay.restore();
        expect(await request()).toEqual(warm);
      } finally {
        await relay.close();
        await t.dispose();
      }
    });
  },
);
