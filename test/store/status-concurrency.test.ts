/**
 * Concurrency on real PostgreSQL: 2 service instances, 1,000 concurrent issuances and 200
 * concurrent status changes: every slot distinct, every change visible in the next published
 * list, none lost. Then two instances re-signing one list while it keeps changing: the stored
 * copy never goes backwards.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey, type KeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { createJsonLogger } from '../../src/log/logger.ts';
import { openPostgres } from '../../src/runtime/postgres/database.ts';
import type { StatusList } from '../../src/status/bitstring.ts';
import { decodeBitstringStatusList, decodeTokenStatusList } from '../../src/status/codec.ts';
import { STATUS_LIST_SIZE } from '../../src/status/lists.ts';
import { statusListUrls } from '../../src/status/urls.ts';
import { TOKEN_STATUS_VALUE, type CredentialStatus } from '../../src/status/values.ts';
import type { Database } from '../../src/store/port.ts';
import { acrossTenants } from '../../src/store/tenant-scope.ts';
import { bootstrap } from '../../src/use-cases/bootstrap.ts';
import { createPostgresDatabase, postgresAvailable } from '../support/databases.ts';
import { fixedClock, ORIGIN } from '../support/harness.ts';
import { prng } from '../support/prng.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { skipBecause } from '../support/skip.ts';

const ISSUANCES = 1_000;
const REVOKE = 100;
const SUSPEND = 60;
/** Suspended beforehand, reinstated in the concurrent batch: a bit that must be cleared, not just set. */
const REINSTATE = 40;
const CHANGES = REVOKE + SUSPEND + REINSTATE;
/** Sequential changes in the re-signing race, each followed by publishers on both instances. */
const RESIGN_CHANGES = 40;

type AppModule = typeof import('../../src/http/app.ts');
type PublishModule = typeof import('../../src/status/publish.ts');

/**
 * One instance's own copy of the service modules. publish.ts coalesces re-signings in a
 * module-level map, as one process should; two instances in one test process sharing it would
 * coalesce each other's publications and never race on the database as two processes do.
 */
async function serviceModules(): Promise<{ createApp: AppModule['createApp']; publishList: PublishModule['publishList'] }> {
  vi.resetModules();
  const [{ createApp }, { publishList }] = await Promise.all([import('../../src/http/app.ts'), import('../../src/status/publish.ts')]);
  return { createApp, publishList };
}

/** Fisher-Yates with a seeded source, so a failure replays with the same assignment. */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Instance {
  readonly name: string;
  readonly db: Database;
  readonly publishList: PublishModule['publishList'];
  request(method: string, path: string, init?: { token?: string; body?: unknown }): Promise<Response>;
}

interface Issued {
  id: string;
  uri: string;
  idx: number;
}

describe.skipIf(
  skipBecause(
    !postgresAvailable(),
    'set TEST_POSTGRES_URL to a PostgreSQL 15 server this run may create databases on (.ci/run starts one)',
  ),
)('status lists across two instances on real PostgreSQL', () => {
  let drop: () => Promise<void>;
  let instances: Instance[];
  let observer: Database;
  let kek: KeyEncryptionKey;
  let adminToken: string;
  const clock = fixedClock();
  const errors: string[] = [];

  beforeAll(async () => {
    const created = await createPostgresDatabase();
    drop = created.drop;
    kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
    // 1000 issuances by one key at a standing clock: the per-key limits are not what is tested here.
    const config = parseConfig({
      LAUNCHPROOF_ENV: 'test',
      PUBLIC_URL: ORIGIN,
      RATE_LIMIT_OPERATOR_PER_MINUTE: '1000000',
      RATE_LIMIT_ISSUANCE_PER_MINUTE: '1000000',
      RATE_LIMIT_PUBLIC_PER_MINUTE: '1000000',
    });
    // Background publication failures are only logged: collecting errors is how the test sees them.
    const log = createJsonLogger('error', (l) => errors.push(l));
    instances = [];
    for (const name of ['A', 'B']) {
      const { createApp, publishList } = await serviceModules();
      const db = openPostgres(created.url, { max: 10 });
      const app = createApp({ config, kek, clock, log, fetch: () => Promise.reject(new Error('no network in tests')) });
      const bindings = { db };
      instances.push({
        name,
        db,
        publishList,
        request: (method, path, init = {}) => {
          const headers: Record<string, string> = {};
          if (init.token) headers.authorization = `Bearer ${init.token}`;
          if (init.body !== undefined) headers['content-type'] = 'application/json';
          const body = init.body === undefined ? undefined : JSON.stringify(init.body);
          return Promise.resolve(app.fetch(new Request(`${ORIGIN}${path}`, { method, headers, body }), bindings));
        },
      });
    }
    expect(instances[0]!.publishList).not.toBe(instances[1]!.publishList);
    // Reads for the assertions go through a pool of their own, so they never queue behind the instances.
    observer = openPostgres(created.url, { max: 2 });
    const outcome = await bootstrap({ db: instances[0]!.db, kek, now: clock() }, { demoTenant: false });
    adminToken = outcome.adminToken!;
  });

  afterAll(async () => {
    await Promise.all([...(instances ?? []).map((i) => i.db.close()), observer?.close()]);
    await drop?.();
  });

  const sql = <Row>(text: string, params: unknown[] = []) => acrossTenants(observer, (tx) => tx.query<Row>(text, params));
  const path = (url: string) => url.slice(ORIGIN.length);
  async function tenant(id: string): Promise<void> {
    const res = await instances[1]!.request('POST', '/v1/tenants', { token: adminToken, body: { id, name: id } });
    expect(res.status, await res.clone().text()).toBe(201);
  }

  /** Fires `count` issuances at once, alternating instances, each answering with its credential's own status claim. */
  async function issueConcurrently(tenantId: string, count: number): Promise<Issued[]> {
    const responses = await Promise.all(
      Array.from({ length: count }, (_, n) =>
        instances[n % 2]!.request('POST', `/v1/t/${tenantId}/attestations`, {
          token: adminToken,
          body: { assessment: readinessAssessment(), formats: ['dc+sd-jwt'] },
        }),
      ),
    );
    const failed = responses.filter((r) => r.status !== 201);
    expect(failed.map((r) => r.status)).toEqual([]);
    return Promise.all(
      responses.map(async (res) => {
        const body = (await res.json()) as { credentials: { id: string; format: string; credential: string }[] };
        expect(body.credentials).toHaveLength(1);
        const [c] = body.credentials;
        const { status } = decodeJwt(c!.credential.split('~')[0]!) as { status: { status_list: { idx: number; uri: string } } };
        return { id: c!.id.replace(/^urn:uuid:/, ''), uri: status.status_list.uri, idx: status.status_list.idx };
      }),
    );
  }

  function patch(instance: Instance, tenantId: string, credentialId: string, status: CredentialStatus, reason: string) {
    return instance.request('PATCH', `/v1/t/${tenantId}/credentials/urn:uuid:${credentialId}/status`, {
      token: adminToken,
      body: { status, reason },
    });
  }

  /** The non-valid entries a token list holds, as index -> status value. */
  const setEntries = (list: StatusList) => new Map(list.nonZero());
  const expectedEntries = (issued: Issued[], expected: Map<string, CredentialStatus>, only?: CredentialStatus) =>
    new Map(
      issued
        .filter((c) => (expected.get(c.id) ?? 'valid') !== 'valid' && (only === undefined || expected.get(c.id) === only))
        .map((c) => [c.idx, only === undefined ? TOKEN_STATUS_VALUE[expected.get(c.id)!] : 1]),
    );

  /** What one signed copy says, checked against the expected status of every issued credential. */
  async function expectCopyShows(
    copy: { token: string; revocation: string; suspension: string },
    issued: Issued[],
    expected: Map<string, CredentialStatus>,
  ): Promise<void> {
    const token = await decodeTokenStatusList(decodeJwt(copy.token).status_list, STATUS_LIST_SIZE);
    for (const c of issued) expect(token.get(c.idx), `${c.id} at ${c.idx}`).toBe(TOKEN_STATUS_VALUE[expected.get(c.id) ?? 'valid']);
    // Exactly these bits: a stray one would be some credential shown revoked that never was.
    expect(setEntries(token)).toEqual(expectedEntries(issued, expected));
    for (const purpose of ['revocation', 'suspension'] as const) {
      const { credentialSubject } = decodeJwt(copy[purpose]) as { credentialSubject: { statusPurpose: string; encodedList: string } };
      expect(credentialSubject.statusPurpose).toBe(purpose);
      const bits = await decodeBitstringStatusList(credentialSubject.encodedList, STATUS_LIST_SIZE);
      expect(setEntries(bits)).toEqual(expectedEntries(issued, expected, purpose === 'revocation' ? 'revoked' : 'suspended'));
    }
  }

  async function storedCopy(tenantId: string) {
    const rows = await sql<{
      list_id: string;
      version: string;
      list_version: string;
      token: string;
      revocation: string;
      suspension: string;
    }>(
      `select p.list_id, p.version, l.version as list_version, p.token, p.revocation, p.suspension
         from status_lists l left join status_publications p on p.tenant_id = l.tenant_id and p.list_id = l.id
        where l.tenant_id = $1`,
      [tenantId],
    );
    expect(rows).toHaveLength(1);
    return { ...rows[0]!, version: Number(rows[0]!.version), listVersion: Number(rows[0]!.list_version) };
  }

  it(
    `${ISSUANCES} concurrent issuances and ${CHANGES} concurrent status changes over two instances: distinct slots, every change published, none lost`,
    { timeout: 300_000 },
    async () => {
      const tenantId = 'conc';
      await tenant(tenantId);

      const started = performance.now();
      const issued = await issueConcurrently(tenantId, ISSUANCES);
      const issueMs = performance.now() - started;
      console.log(
        `${ISSUANCES} issuances over 2 instances in ${(issueMs / 1000).toFixed(1)} s (${Math.round(ISSUANCES / (issueMs / 1000))}/s)`,
      );

      // 1,000 credentials fit one list many times over: a second list would mean issuers that
      // raced for the tenant's first list opened another beside it, leaving a few credentials
      // on a list of their own. The used counts in the failure message show that at once.
      const lists = await sql<{ id: string; seq: number; size: number; full: boolean; used: number }>(
        `select id, seq, size, full_at is not null as full,
                (select count(*)::int from status_slots s where s.tenant_id = l.tenant_id and s.list_id = l.id) as used
           from status_lists l where tenant_id = $1 order by seq`,
        [tenantId],
      );
      expect(lists, 'one status list for the tenant').toHaveLength(1);
      const [list] = lists;
      expect(list).toMatchObject({ seq: 1, size: STATUS_LIST_SIZE, full: false, used: ISSUANCES });
      // Slots, from the credentials themselves: that list, every index once, within it.
      const urls = statusListUrls(new URL(ORIGIN), tenantId, list!.id);
      expect(new Set(issued.map((c) => c.uri))).toEqual(new Set([urls.token]));
      expect(new Set(issued.map((c) => `${c.uri}#${c.idx}`)).size).toBe(ISSUANCES);
      expect(issued.every((c) => Number.isInteger(c.idx) && c.idx >= 0 && c.idx < STATUS_LIST_SIZE)).toBe(true);

      // ...and from the database: one slot per credential, and each credential's record names the slot its claim names.
      const [slots] = await sql<{ n: number }>('select count(*)::int as n from status_slots where tenant_id = $1', [tenantId]);
      expect(slots!.n).toBe(ISSUANCES);
      const records = await sql<{ id: string; list_id: string; idx: number }>(
        `select id::text, status_list_id as list_id, status_index as idx from credentials where tenant_id = $1
          order by xmin::text::bigint`,
        [tenantId],
      );
      expect(records).toHaveLength(ISSUANCES);
      expect(new Set(records.map((r) => `${r.list_id}#${r.idx}`)).size).toBe(ISSUANCES);
      const claimed = new Map(issued.map((c) => [c.id, c.idx]));
      expect(new Map(records.map((r) => [r.id, r.idx]))).toEqual(claimed);
      expect(new Set(records.map((r) => r.list_id))).toEqual(new Set([list!.id]));

      // Random, not sequential: neither the order requests were fired in nor the order their
      // transactions began (xmin) shows in the indices, and they spread over the whole list.
      // 1,000 uniform draws pass these bounds by more than 5 standard deviations.
      for (const order of [issued.map((c) => c.idx), records.map((r) => r.idx)]) {
        expect(order).not.toEqual([...order].sort((a, b) => a - b));
        const ascending = order.slice(1).filter((v, i) => v > order[i]!).length;
        expect(ascending).toBeGreaterThan(450);
        expect(ascending).toBeLessThan(550);
      }
      const eighths = Array.from({ length: 8 }, (_, e) => issued.filter((c) => Math.floor((c.idx * 8) / STATUS_LIST_SIZE) === e).length);
      for (const inEighth of eighths) expect(inEighth).toBeGreaterThan(70);

      // Which credential gets which change, shuffled so every kind reaches both instances.
      const random = prng(0x5eed);
      const pool = shuffled(issued, random);
      const toRevoke = pool.slice(0, REVOKE);
      const toSuspend = pool.slice(REVOKE, REVOKE + SUSPEND);
      const toReinstate = pool.slice(REVOKE + SUSPEND, CHANGES);
      const expected = new Map<string, CredentialStatus>();

      // Suspend the ones to reinstate first, and see the suspension published, so reinstating
      // them later has set bits to clear.
      const suspensions = await Promise.all(
        toReinstate.map((c, i) => patch(instances[i % 2]!, tenantId, c.id, 'suspended', 'before reinstatement')),
      );
      expect(suspensions.map((r) => r.status)).toEqual(suspensions.map(() => 200));
      for (const c of toReinstate) expected.set(c.id, 'suspended');
      const before = await storedCopy(tenantId);
      expect(before.version).toBe(REINSTATE);
      await expectCopyShows(before, issued, expected);

      const changes = shuffled(
        [
          ...toRevoke.map((c) => ({ c, to: 'revoked' as const })),
          ...toSuspend.map((c) => ({ c, to: 'suspended' as const })),
          ...toReinstate.map((c) => ({ c, to: 'valid' as const })),
        ],
        random,
      );
      const changeStarted = performance.now();
      const answers = await Promise.all(changes.map(({ c, to }, i) => patch(instances[i % 2]!, tenantId, c.id, to, `concurrent ${to}`)));
      const changeMs = performance.now() - changeStarted;
      for (const [i, res] of answers.entries()) {
        expect(res.status, await res.clone().text()).toBe(200);
        expect(await res.json()).toMatchObject({ status: changes[i]!.to, changed: true });
      }
      for (const { c, to } of changes) expected.set(c.id, to);
      console.log(`${CHANGES} status changes over 2 instances in ${(changeMs / 1000).toFixed(1)} s, each list re-signed before its answer`);

      // None lost: one history row and one version per change, and the copy the instances
      // re-signed before answering (read before any GET) covers the last of them and shows
      // every change.
      const history = await sql<{ to_status: string; n: number }>(
        `select to_status, count(*)::int as n from status_changes where tenant_id = $1 and reason like 'concurrent %' group by to_status`,
        [tenantId],
      );
      expect(Object.fromEntries(history.map((h) => [h.to_status, h.n]))).toEqual({ revoked: REVOKE, suspended: SUSPEND, valid: REINSTATE });
      const [all] = await sql<{ n: number }>('select count(*)::int as n from status_changes where tenant_id = $1', [tenantId]);
      expect(all!.n).toBe(CHANGES + REINSTATE);
      const [versions] = await sql<{ sum: string }>('select sum(version) as sum from status_lists where tenant_id = $1', [tenantId]);
      expect(Number(versions!.sum)).toBe(CHANGES + REINSTATE);
      const slotCounts = await sql<{ status: string; n: number }>(
        'select status, count(*)::int as n from status_slots where tenant_id = $1 group by status',
        [tenantId],
      );
      expect(Object.fromEntries(slotCounts.map((s) => [s.status, s.n]))).toEqual({
        valid: ISSUANCES - REVOKE - SUSPEND,
        revoked: REVOKE,
        suspended: SUSPEND,
      });
      const stored = await storedCopy(tenantId);
      expect(stored.listVersion).toBe(CHANGES + REINSTATE);
      expect(stored.version).toBe(stored.listVersion);
      await expectCopyShows(stored, issued, expected);
      expect(errors).toEqual([]);

      // What each instance serves: the stored copy as it is, its signature good under the tenant's keys.
      for (const instance of instances) {
        const jwks = (await (await instance.request('GET', `/t/${tenantId}/jwks.json`)).json()) as { keys: JWK[] };
        const served = Object.fromEntries(
          await Promise.all(
            (['token', 'revocation', 'suspension'] as const).map(async (form) => {
              const res = await instance.request('GET', path(urls[form]));
              expect(res.status, `${instance.name} ${form}`).toBe(200);
              return [form, await res.text()] as const;
            }),
          ),
        ) as { token: string; revocation: string; suspension: string };
        expect(served, `instance ${instance.name}`).toEqual({
          token: stored.token,
          revocation: stored.revocation,
          suspension: stored.suspension,
        });
        await jwtVerify(served.token, createLocalJWKSet(jwks), { typ: 'statuslist+jwt', currentDate: clock(), subject: urls.token });
        await expectCopyShows(served, issued, expected);
      }
    },
  );

  it(
    'two instances re-signing one list while it changes: the stored copy never goes backwards and always covers its version',
    { timeout: 300_000 },
    async () => {
      const tenantId = 'resign';
      await tenant(tenantId);
      const issued = await issueConcurrently(tenantId, RESIGN_CHANGES + 8);
      const [{ id: listId }] = (await sql<{ id: string }>('select id from status_lists where tenant_id = $1', [tenantId])) as [
        { id: string },
      ];
      const origin = new URL(ORIGIN);

      // Watches the stored copy as often as it can while the race runs.
      const seen: { version: number; token: string }[] = [];
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          const [row] = await sql<{ version: string; token: string }>(
            'select version, token from status_publications where tenant_id = $1 and list_id = $2',
            [tenantId, listId],
          );
          if (row && seen.at(-1)?.token !== row.token) seen.push({ version: Number(row.version), token: row.token });
          await new Promise((r) => setTimeout(r, 1));
        }
      })();

      // Change k is the list's version k + 1: changes run one at a time, so the version each
      // copy claims says exactly which changes it must show.
      const changeOf = issued
        .slice(0, RESIGN_CHANGES)
        .map((c, k) => ({ c, to: k % 3 === 0 ? ('suspended' as const) : ('revoked' as const) }));
      const publications: { covers: number; done: Promise<{ version: number; token: string }> }[] = [];
      for (const [k, { c, to }] of changeOf.entries()) {
        const res = await patch(instances[k % 2]!, tenantId, c.id, to, `race ${k}`);
        expect(res.status, await res.clone().text()).toBe(200);
        // Besides the re-signing the change itself started, both instances are asked at once
        // (a GET finding the copy stale, the sweep): neither is awaited before the next change.
        for (const instance of instances) {
          publications.push({
            covers: k + 1,
            done: instance.publishList({ db: instance.db, kek, origin, now: clock() }, tenantId, listId),
          });
        }
      }
      const resolved = await Promise.all(publications.map((p) => p.done));
      watching = false;
      await watcher;

      const expectedAt = (version: number) => new Map(changeOf.slice(0, version).map(({ c, to }) => [c.id, to]));
      // Every publisher returned a copy covering at least the changes committed before it was asked.
      for (const [i, p] of resolved.entries()) expect(p.version).toBeGreaterThanOrEqual(publications[i]!.covers);
      for (const p of resolved) {
        const token = await decodeTokenStatusList(decodeJwt(p.token).status_list, STATUS_LIST_SIZE);
        for (const [id, to] of expectedAt(p.version)) expect(token.get(issued.find((c) => c.id === id)!.idx)).toBe(TOKEN_STATUS_VALUE[to]);
      }
      // The stored copy only ever moved forward, and each one showed every change its version counts.
      expect(seen.length).toBeGreaterThan(1);
      const versions = seen.map((s) => s.version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
      for (const s of seen) {
        const token = await decodeTokenStatusList(decodeJwt(s.token).status_list, STATUS_LIST_SIZE);
        for (const [id, to] of expectedAt(s.version)) expect(token.get(issued.find((c) => c.id === id)!.idx)).toBe(TOKEN_STATUS_VALUE[to]);
      }
      console.log(
        `re-signing race: ${publications.length} publisher calls, ${seen.length} distinct stored copies observed, versions ${versions.join(',')}`,
      );

      const stored = await storedCopy(tenantId);
      expect(stored.listVersion).toBe(RESIGN_CHANGES);
      expect(stored.version).toBe(RESIGN_CHANGES);
      const final = expectedAt(RESIGN_CHANGES);
      await expectCopyShows(stored, issued, final);
      expect(errors).toEqual([]);
    },
  );
});
