/**
 * Liveness and readiness, on real databases: /healthz answers whenever the process does;
 * /readyz answers 200 only when the database answers, the schema is the one this code expects,
 * and the key-encryption key opens every key that may still sign, and otherwise 503 naming the
 * failing part.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { KEK_CHECK_REUSE_MS } from '../../src/health/readiness.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey, withPreviousKek, type KeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { createJsonLogger } from '../../src/log/logger.ts';
import { loadMigrations } from '../../src/runtime/node/migration-files.ts';
import { openPostgres } from '../../src/runtime/postgres/database.ts';
import { migrationRecords, type MigrationRecord } from '../../src/store/migration-state.ts';
import type { Database } from '../../src/store/port.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, ORIGIN, testWebAssets, type Harness } from '../support/harness.ts';
import { expectProblem } from './helpers.ts';

describe.each(engines())('health probes on $engine', ({ engine, open }) => {
  let t: TestDatabase;
  let h: Harness;
  let records: MigrationRecord[];

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db);
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
    records = await migrationRecords(await loadMigrations());
  });
  afterAll(() => t.dispose());

  /** The same service with some parts changed: another KEK, other expected migrations. */
  async function variant(changes: { kek?: string | KeyEncryptionKey; migrations?: MigrationRecord[] }) {
    const lines: string[] = [];
    const app = createApp({
      config: h.config,
      kek: typeof changes.kek === 'string' ? await importKeyEncryptionKey(changes.kek) : (changes.kek ?? h.kek),
      clock: h.clock,
      log: createJsonLogger('debug', (l) => lines.push(l)),
      fetch: () => Promise.reject(new Error('no network in tests')),
      webAssets: testWebAssets(),
      migrations: changes.migrations ?? records,
    });
    const get = (path: string, db: Database = t.db) => Promise.resolve(app.fetch(new Request(`${ORIGIN}${path}`), { db }));
    return { get, lines };
  }

  async function notReady(res: Response) {
    const text = await res.clone().text();
    const problem = await expectProblem(res, 503, 'not_ready');
    return { text, checks: (problem as unknown as { checks: Record<string, string> }).checks };
  }

  it('answers 200 on both when everything is in place, never cached', async () => {
    const live = await h.request('GET', '/healthz');
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
    const ready = await h.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.headers.get('cache-control')).toBe('no-store');
    expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', migrations: 'ok', kek: 'ok' } });
  });

  it('names `migrations` when a migration this code expects is pending', async () => {
    const ahead = await variant({ migrations: [...records, { version: records.length + 1, name: 'next', checksum: '0'.repeat(64) }] });
    const { checks } = await notReady(await ahead.get('/readyz'));
    expect(checks).toEqual({ database: 'ok', migrations: 'failed', kek: 'skipped' });
    expect(ahead.lines.join('\n')).toContain(`migration ${records.length + 1} (next) is pending`);
  });

  it('names `migrations` when an applied migration differs from its file', async () => {
    const edited = await variant({ migrations: records.map((r, i) => (i === 0 ? { ...r, checksum: 'f'.repeat(64) } : r)) });
    expect((await notReady(await edited.get('/readyz'))).checks.migrations).toBe('failed');
  });

  it('names `kek` when the key-encryption key does not open the signing keys, and keeps every key out of the body', async () => {
    const wrong = await variant({ kek: generateKeyEncryptionKey() });
    const { checks, text } = await notReady(await wrong.get('/readyz'));
    expect(checks).toEqual({ database: 'ok', migrations: 'ok', kek: 'failed' });
    expect(text).not.toMatch(/acme|kid|private|[A-Za-z0-9_-]{43}/);
    expect((await wrong.get('/healthz')).status).toBe(200);
  });

  it('stays ready while a KEK rotation is under way: the keys open under the previous KEK, held beside the new one', async () => {
    // Every key is still sealed under the KEK the service had; the new one opens none of them yet.
    const rotating = withPreviousKek(await importKeyEncryptionKey(generateKeyEncryptionKey()), h.kek);
    const during = await variant({ kek: rotating });
    const ready = await during.get('/readyz');
    expect(ready.status, await ready.clone().text()).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', migrations: 'ok', kek: 'ok' } });
  });

  it('keeps the KEK answer for a short while, then checks again', async () => {
    const probe = await variant({});
    expect((await probe.get('/readyz')).status).toBe(200);
    // A key sealed under another KEK appears: within the reuse window the answer stands ...
    const foreign = await importKeyEncryptionKey(generateKeyEncryptionKey());
    await t.db.transaction(async (tx) => {
      await tx.query(`select set_config('app.all_tenants', 'on', true)`);
      await tx.query(
        `update signing_keys set private_jwk_enc = $1, kek_id = $2
          where tenant_id = 'acme' and activated_at is null and revoked_at is null`,
        ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', foreign.id],
      );
    });
    expect((await probe.get('/readyz')).status).toBe(200);
    // ... and after it, the probe opens the keys again and finds the one that does not open.
    h.clock.set(new Date(h.clock().getTime() + KEK_CHECK_REUSE_MS));
    expect((await notReady(await probe.get('/readyz'))).checks.kek).toBe('failed');
  });

  it('names `database` when the database is gone, while /healthz still answers 200', async () => {
    const own = await open();
    const gone = await variant({});
    await own.dispose();
    const { checks, text } = await notReady(await gone.get('/readyz', own.db));
    expect(checks).toEqual({ database: 'failed', migrations: 'skipped', kek: 'skipped' });
    expect(text).not.toMatch(/ECONNREFUSED|closed|terminat|postgres:\/\//i);
    expect((await gone.get('/healthz', own.db)).status).toBe(200);
    expect(gone.lines.some((l) => l.includes('"database: '))).toBe(true);
  });

  it.runIf(engine === 'postgres')('names `database` when no PostgreSQL listens where the service connects', async () => {
    // A port of this branch's private range on which nothing runs: the server is stopped.
    const stopped = openPostgres('postgres://postgres@127.0.0.1:55479/launchproof', { max: 1 });
    try {
      const probe = await variant({});
      const { checks, text } = await notReady(await probe.get('/readyz', stopped));
      expect(checks).toEqual({ database: 'failed', migrations: 'skipped', kek: 'skipped' });
      expect(text).not.toMatch(/ECONNREFUSED|55479/);
      expect((await probe.get('/healthz', stopped)).status).toBe(200);
    } finally {
      await stopped.close();
    }
  });
});
