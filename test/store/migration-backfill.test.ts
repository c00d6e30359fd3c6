/**
 * Migration 5 on a database that already holds issuances made the old way (a slot per credential,
 * history per credential): each issuance becomes one attestation, its credentials keep their own
 * slots, the history moves under the attestation, and a change to such an attestation writes
 * every one of its old slots in one transaction.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueRequestSchema } from '../../src/attestations/issue-request.ts';
import { jcsDigestSri } from '../../src/readiness/index.ts';
import { decodeTokenStatusList } from '../../src/status/codec.ts';
import { migrate, type MigrationFile } from '../../src/store/migrations.ts';
import type { Database } from '../../src/store/port.ts';
import { emptyEngines, migrateThrough, type EmptyDatabase, dropLogStandIn, standInLogTable } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { activeKid, allTenants, expectProblem } from '../http/helpers.ts';

const ISSUER = 'api_key:legacy-issuer';
const T1 = new Date('2025-11-01T09:00:00Z');
const T2 = new Date('2025-11-15T09:00:00Z');
const LEGACY_KEY = 'legacy-retry-1';

/** One credential as version 4 stored it: its own slot in the list. */
interface OldCredential {
  id: string;
  tenant: string;
  assessment: string;
  format: string;
  issuedAt: Date;
  subject: string;
  index: number;
  status: 'valid' | 'suspended' | 'revoked';
}

describe.each(emptyEngines())('migration 5 over issuances made before it, on $engine', ({ open }) => {
  let t: EmptyDatabase;
  let db: Database;
  let h: Harness;
  let files: MigrationFile[];
  const lists: Record<string, string> = {};
  const credentials: OldCredential[] = [];
  const byName: Record<string, OldCredential> = {};
  const assessments: Record<string, string> = {};
  /** The request retried across the migration under LEGACY_KEY. */
  const retried = { body: {} as Record<string, unknown>, fingerprint: '' };
  /** The attestation each credential belongs to after the migration. */
  const attestationOf: Record<string, string> = {};

  const insertOld = async (rows: { name: string; c: Omit<OldCredential, 'id'> }[]) => {
    await allTenants(db, async (tx) => {
      for (const { name, c } of rows) {
        const id = crypto.randomUUID();
        const kid = (
          await tx.query<{ kid: string }>(
            'select kid from signing_keys where tenant_id = $1 and activated_at is not null and retired_at is null and revoked_at is null',
            [c.tenant],
          )
        )[0]!.kid;
        await tx.query(
          'insert into status_slots (tenant_id, list_id, idx, status, allocated_at, changed_at) values ($1, $2, $3, $4, $5, $6)',
          [c.tenant, lists[c.tenant], c.index, c.status, c.issuedAt, c.status === 'valid' ? null : c.issuedAt],
        );
        await tx.query(
          `insert into credentials (id, tenant_id, assessment_id, format, kid, profile_id, profile_version, subject_name, subject_id,
                                    issued_at, valid_from, valid_until, holder, credential, issued_by, status_list_id, status_index)
           values ($1, $2, $3, $4, $5, 'production-readiness-review', '1.0.0', $6, null, $7, $7, $8, null, $9, $10, $11, $12)`,
          [
            id,
            c.tenant,
            c.assessment,
            c.format,
            kid,
            c.subject,
            c.issuedAt,
            new Date(c.issuedAt.getTime() + 90 * 86_400_000),
            `legacy ${c.format} credential ${name}`,
            ISSUER,
            lists[c.tenant],
            c.index,
          ],
        );
        if (c.status !== 'valid') {
          await tx.query(
            `insert into status_changes (id, tenant_id, credential_id, from_status, to_status, reason, changed_at, changed_by)
             values ($1, $2, $3, 'valid', $4, $5, $6, $7)`,
            [crypto.randomUUID(), c.tenant, id, c.status, `old ${c.status} ${name}`, c.issuedAt, 'api_key:legacy-status'],
          );
        }
        const full = { ...c, id };
        credentials.push(full);
        byName[name] = full;
      }
    });
  };

  beforeAll(async () => {
    t = await open();
    db = t.db;
    files = await migrateThrough(db, 4);
    // Today's code runs tenant transactions as the tenant role of migration 8, so the version 4
    // schema gets that role here; migration 8 runs again in its turn below (it is idempotent).
    await db.exec(files.find((f) => f.name === 'tenant_role')!.sql);
    // Today's code also reads each tenant's version (migration 8), whose triggers need tables of
    // migration 5: the bare table stands in until the real migrations run (and drop it first).
    await db.exec('create table publication_versions (tenant_id text primary key, version bigint not null)');
    await standInLogTable(db);
    // The service as it ran at version 4 made the tenants and their keys; issuances are written
    // below as version 4's issuance wrote them, since today's code can no longer.
    h = await harness(db);
    for (const id of ['legacy', 'other']) {
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: `Tenant ${id}` } })).status).toBe(201);
    }
    await allTenants(db, async (tx) => {
      for (const tenant of ['legacy', 'other']) {
        const [existing] = await tx.query<{ id: string }>('select id from status_lists where tenant_id = $1 order by seq limit 1', [
          tenant,
        ]);
        lists[tenant] = existing?.id ?? `${tenant}List`.padEnd(22, 'A');
        if (!existing)
          await tx.query('insert into status_lists (tenant_id, id, seq, size, created_at) values ($1, $2, 1, 131072, $3)', [
            tenant,
            lists[tenant],
            T1,
          ]);
        for (const [name, organisation] of [
          [`${tenant}-acme`, 'Acme Corp'],
          [`${tenant}-globex`, 'Globex'],
        ] as const) {
          const id = crypto.randomUUID();
          assessments[name] = id;
          await tx.query(
            `insert into assessments (id, tenant_id, profile_id, profile_version, profile_digest, subject, body, verdict, created_at, created_by)
             values ($1, $2, 'production-readiness-review', '1.0.0', 'sha256-legacy', $3, $4, $5, $6, $7)`,
            [id, tenant, { organisation, product: 'Acme Cloud' }, { legacy: true }, { stage: 'launchable' }, T1, ISSUER],
          );
        }
      }
    });
    const acme = 'Acme Corp / Acme Cloud';
    retried.body = { assessment_id: assessments['legacy-acme'], formats: ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'] };
    retried.fingerprint = await jcsDigestSri(issueRequestSchema.parse(retried.body));
    await insertOld([
      // One issuance in three formats, a slot each; its SD-JWT VC was suspended on its own.
      {
        name: 'first-vc',
        c: {
          tenant: 'legacy',
          assessment: assessments['legacy-acme']!,
          format: 'vc+jwt',
          issuedAt: T1,
          subject: acme,
          index: 10,
          status: 'valid',
        },
      },
      {
        name: 'first-jwt',
        c: {
          tenant: 'legacy',
          assessment: assessments['legacy-acme']!,
          format: 'jwt_vc_json',
          issuedAt: T1,
          subject: acme,
          index: 11,
          status: 'valid',
        },
      },
      {
        name: 'first-sd',
        c: {
          tenant: 'legacy',
          assessment: assessments['legacy-acme']!,
          format: 'dc+sd-jwt',
          issuedAt: T1,
          subject: acme,
          index: 12,
          status: 'suspended',
        },
      },
      // The same assessment issued again later: another issuance, so another attestation.
      {
        name: 'again',
        c: {
          tenant: 'legacy',
          assessment: assessments['legacy-acme']!,
          format: 'vc+jwt',
          issuedAt: T2,
          subject: acme,
          index: 20,
          status: 'revoked',
        },
      },
      // Another assessment issued at the very same instant: another attestation too.
      {
        name: 'globex-vc',
        c: {
          tenant: 'legacy',
          assessment: assessments['legacy-globex']!,
          format: 'vc+jwt',
          issuedAt: T1,
          subject: 'Globex / Acme Cloud',
          index: 30,
          status: 'valid',
        },
      },
      {
        name: 'globex-sd',
        c: {
          tenant: 'legacy',
          assessment: assessments['legacy-globex']!,
          format: 'dc+sd-jwt',
          issuedAt: T1,
          subject: 'Globex / Acme Cloud',
          index: 31,
          status: 'valid',
        },
      },
      // Another tenant's issuance at the same instant by an issuer of the same name.
      {
        name: 'other-vc',
        c: {
          tenant: 'other',
          assessment: assessments['other-acme']!,
          format: 'vc+jwt',
          issuedAt: T1,
          subject: acme,
          index: 10,
          status: 'valid',
        },
      },
    ]);

    // The first issuance was made under an Idempotency-Key: version 4 stored its wire body.
    const first = ['first-vc', 'first-jwt', 'first-sd'].map((n) => byName[n]!);
    await allTenants(db, (tx) =>
      tx.query(
        `insert into idempotency_keys (tenant_id, operation, key, fingerprint, status, response, created_at)
         values ('legacy', 'attestations.issue', $1, $2, 201, $3, $4)`,
        [
          LEGACY_KEY,
          retried.fingerprint,
          {
            assessment: { id: assessments['legacy-acme'], verdict: { stage: 'launchable' } },
            kid: 'did:web:issuer.test:t:legacy#legacy',
            valid_from: T1.toISOString(),
            valid_until: new Date(T1.getTime() + 90 * 86_400_000).toISOString(),
            credentials: first.map((c) => ({
              id: `urn:uuid:${c.id}`,
              format: c.format,
              media_type: 'application/vc+jwt',
              credential: `legacy ${c.format} credential`,
            })),
          },
          T1,
        ],
      ),
    );

    await db.exec('drop table publication_versions');
    await dropLogStandIn(db);
    const report = await migrate(db, files);
    expect(report.applied).toEqual(files.slice(4).map((f) => f.version));
    const rows = await allTenants(db, (tx) =>
      tx.query<{ id: string; attestation_id: string }>('select id, attestation_id from credentials'),
    );
    for (const r of rows) attestationOf[r.id] = r.attestation_id;
  });
  afterAll(() => t?.dispose());

  const slotStatuses = (tenant: string, indices: number[]) =>
    allTenants(db, async (tx) =>
      (
        await tx.query<{ idx: number; status: string }>(
          'select idx, status from status_slots where tenant_id = $1 and list_id = $2 and idx in (select value::int from jsonb_array_elements_text($3::jsonb)) order by idx',
          [tenant, lists[tenant], indices],
        )
      ).map((r) => [r.idx, r.status]),
    );

  it('makes each issuance (tenant, assessment, instant, issuer) one attestation, with the record of its credentials', async () => {
    const of = (name: string) => attestationOf[byName[name]!.id]!;
    expect(new Set([of('first-vc'), of('first-jwt'), of('first-sd')]).size).toBe(1);
    expect(new Set([of('globex-vc'), of('globex-sd')]).size).toBe(1);
    const distinct = [of('first-vc'), of('again'), of('globex-vc'), of('other-vc')];
    expect(new Set(distinct).size).toBe(4);

    const attestations = await allTenants(db, (tx) =>
      tx.query<{
        id: string;
        tenant_id: string;
        assessment_id: string;
        subject_name: string;
        issued_at: Date;
        issued_by: string;
        kid: string;
        status_list_id: string | null;
        supersedes: string | null;
      }>('select id, tenant_id, assessment_id, subject_name, issued_at, issued_by, kid, status_list_id, supersedes from attestations'),
    );
    expect(attestations.map((a) => a.id).sort()).toEqual([...distinct].sort());
    for (const a of attestations) {
      const members = credentials.filter((c) => attestationOf[c.id] === a.id);
      expect(members.length).toBeGreaterThan(0);
      expect(a).toMatchObject({
        tenant_id: members[0]!.tenant,
        assessment_id: members[0]!.assessment,
        subject_name: members[0]!.subject,
        issued_at: members[0]!.issuedAt,
        issued_by: ISSUER,
        kid: await activeKid(db, members[0]!.tenant),
        // Their credentials keep a slot each: the attestation has none of its own.
        status_list_id: null,
        supersedes: null,
      });
    }
  });

  it('leaves every credential in the slot it was issued with, and moves the history under the attestation', async () => {
    const rows = await allTenants(db, (tx) =>
      tx.query<{ id: string; tenant_id: string; status_list_id: string; status_index: number }>(
        'select id, tenant_id, status_list_id, status_index from credentials',
      ),
    );
    expect(rows.map((r) => [r.id, r.status_list_id, r.status_index]).sort()).toEqual(
      credentials.map((c) => [c.id, lists[c.tenant], c.index]).sort(),
    );
    const history = await allTenants(db, (tx) =>
      tx.query<{ credential_id: string; attestation_id: string; public_reason: string | null; reason: string }>(
        'select credential_id, attestation_id, public_reason, reason from status_changes order by seq',
      ),
    );
    expect(history).toEqual([
      {
        credential_id: byName['first-sd']!.id,
        attestation_id: attestationOf[byName['first-sd']!.id],
        public_reason: null,
        reason: 'old suspended first-sd',
      },
      {
        credential_id: byName.again!.id,
        attestation_id: attestationOf[byName.again!.id],
        public_reason: null,
        reason: 'old revoked again',
      },
    ]);
  });

  it('answers a retry of an issuance made before the migration with its credentials and the attestation they became', async () => {
    const res = await h.request('POST', '/v1/t/legacy/attestations', {
      token: h.adminToken,
      headers: { 'idempotency-key': LEGACY_KEY },
      body: retried.body,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(res.headers.get('idempotent-replayed')).toBe('true');
    const body = (await res.json()) as { attestation_id: string; credentials: { id: string }[] };
    expect(body.credentials.map((c) => c.id)).toEqual(['first-vc', 'first-jwt', 'first-sd'].map((n) => `urn:uuid:${byName[n]!.id}`));
    expect(body.attestation_id).toBe(attestationOf[byName['first-vc']!.id]);
  });

  it('shows an old attestation through the API with every format, each old slot, and the change made to one credential', async () => {
    const id = attestationOf[byName['first-vc']!.id]!;
    const res = await h.request('GET', `/v1/t/legacy/attestations/${id}`, { token: h.adminToken });
    expect(res.status, await res.clone().text()).toBe(200);
    const view = (await res.json()) as {
      status: string;
      status_lists: { id: string; index: number }[];
      formats: { credential_id: string; format: string }[];
      history: { from: string; to: string; credential: string | null; public_reason: string | null }[];
    };
    // One of its formats was suspended on its own: the attestation as a whole is not valid.
    expect(view.status).toBe('suspended');
    expect(view.status_lists.map((s) => [s.id, s.index])).toEqual([10, 11, 12].map((i) => [lists.legacy, i]));
    expect(view.formats.map((f) => f.credential_id).sort()).toEqual(
      ['first-vc', 'first-jwt', 'first-sd'].map((n) => `urn:uuid:${byName[n]!.id}`).sort(),
    );
    expect(view.history).toMatchObject([
      { from: 'valid', to: 'suspended', credential: `urn:uuid:${byName['first-sd']!.id}`, public_reason: null },
    ]);
  });

  it('changes every old slot of an attestation at once, for every format, and publishes them together', async () => {
    const id = attestationOf[byName['first-vc']!.id]!;
    const res = await h.request('PATCH', `/v1/t/legacy/attestations/${id}/status`, {
      token: h.adminToken,
      body: { status: 'revoked', reason: 'superseded contract', public_reason: 'Withdrawn' },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = (await res.json()) as {
      status: string;
      changed: boolean;
      credentials: string[];
      history: { credential: string | null }[];
    };
    expect(body).toMatchObject({ status: 'revoked', changed: true });
    expect([...body.credentials].sort()).toEqual(['first-vc', 'first-jwt', 'first-sd'].map((n) => `urn:uuid:${byName[n]!.id}`).sort());
    expect(body.history.map((e) => e.credential)).toEqual([`urn:uuid:${byName['first-sd']!.id}`, null]);

    expect(await slotStatuses('legacy', [10, 11, 12, 20, 30, 31])).toEqual([
      [10, 'revoked'],
      [11, 'revoked'],
      [12, 'revoked'],
      [20, 'revoked'],
      [30, 'valid'],
      [31, 'valid'],
    ]);
    // The other tenant's slot at the same index is untouched.
    expect(await slotStatuses('other', [10])).toEqual([[10, 'valid']]);

    const published = await h.request('GET', `/t/legacy/status/${lists.legacy}`);
    expect(published.status).toBe(200);
    const { status_list } = decodeJwt(await published.text()) as { status_list: { bits: 1 | 2 | 4 | 8; lst: string } };
    const list = await decodeTokenStatusList(status_list);
    expect([10, 11, 12, 20, 30, 31].map((i) => list.get(i))).toEqual([1, 1, 1, 1, 0, 0]);

    // What a verifier is told about any one of its credentials.
    const notice = await h.request('GET', `/t/legacy/notices/${byName['first-jwt']!.id}`);
    expect(await notice.json()).toMatchObject({ attestation_id: id, status: 'revoked', reason: 'Withdrawn' });
  });

  it('writes an old attestation’s slots in one transaction: when one write fails, none of them changed', async () => {
    const id = attestationOf[byName['globex-vc']!.id]!;
    const versionOf = async () =>
      (
        await allTenants(db, (tx) =>
          tx.query<{ version: string }>('select version::text from status_lists where tenant_id = $1 and id = $2', [
            'legacy',
            lists.legacy,
          ]),
        )
      )[0]!.version;
    const versionBefore = await versionOf();
    // The second of its two slots refuses to change, as a lost connection mid-way would.
    await db.exec(`
      create function refuse_slot_31() returns trigger language plpgsql as $$
      begin
        if new.tenant_id = 'legacy' and new.idx = 31 then raise exception 'injected failure on slot 31'; end if;
        return new;
      end $$;
      create trigger refuse_slot_31 before update on status_slots for each row execute function refuse_slot_31();
    `);
    try {
      await expectProblem(
        await h.request('PATCH', `/v1/t/legacy/attestations/${id}/status`, {
          token: h.adminToken,
          body: { status: 'suspended', reason: 'audit' },
        }),
        500,
        'internal_error',
      );
    } finally {
      await db.exec('drop trigger refuse_slot_31 on status_slots; drop function refuse_slot_31();');
    }
    expect(await slotStatuses('legacy', [30, 31])).toEqual([
      [30, 'valid'],
      [31, 'valid'],
    ]);
    expect(await versionOf()).toBe(versionBefore);
    const history = await allTenants(db, (tx) =>
      tx.query('select 1 from status_changes where tenant_id = $1 and attestation_id = $2', ['legacy', id]),
    );
    expect(history).toEqual([]);

    const res = await h.request('PATCH', `/v1/t/legacy/attestations/${id}/status`, {
      token: h.adminToken,
      body: { status: 'suspended', reason: 'audit' },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await slotStatuses('legacy', [30, 31])).toEqual([
      [30, 'suspended'],
      [31, 'suspended'],
    ]);
  });
});
