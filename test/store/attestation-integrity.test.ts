/**
 * The database's own wall between tenants for what points at an attestation: every reference
 * names the tenant too, so even a query that forgot its tenant filter cannot link one tenant's
 * records to another's attestation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { allTenants, readinessAssessment } from '../http/helpers.ts';

describe.each(engines())('references to an attestation stay within its tenant on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  const issued: Record<string, { attestation: string; credential: string }> = {};

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db);
    for (const id of ['acme', 'globex']) {
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: id } })).status).toBe(201);
      const res = await h.request('POST', `/v1/t/${id}/attestations`, {
        token: h.adminToken,
        body: { assessment: readinessAssessment(), formats: ['dc+sd-jwt'] },
      });
      const body = (await res.json()) as { attestation_id: string; credentials: { id: string }[] };
      issued[id] = { attestation: body.attestation_id, credential: body.credentials[0]!.id.replace('urn:uuid:', '') };
    }
  });
  afterAll(() => t.dispose());

  /** The SQLSTATE a statement run across tenants fails with (23503 is foreign_key_violation). */
  const refusal = (sql: string, params: unknown[]) =>
    allTenants(t.db, (tx) => tx.query(sql, params)).then(
      () => 'accepted',
      (e: { code?: string }) => e.code,
    );

  it('refuses an attestation that supersedes another tenant’s', async () => {
    expect(
      await refusal('update attestations set supersedes = $2 where id = $1', [issued.acme!.attestation, issued.globex!.attestation]),
    ).toBe('23503');
  });

  it('refuses a credential, a status change or a share of one tenant naming another tenant’s attestation', async () => {
    expect(
      await refusal('update credentials set attestation_id = $2 where id = $1', [issued.acme!.credential, issued.globex!.attestation]),
    ).toBe('23503');
    expect(
      await refusal(
        `insert into status_changes (id, tenant_id, attestation_id, from_status, to_status, reason, changed_at, changed_by)
         values (gen_random_uuid(), 'acme', $1, 'valid', 'suspended', 'test', now(), 'test')`,
        [issued.globex!.attestation],
      ),
    ).toBe('23503');
    expect(
      await refusal(
        `insert into shares (id, tenant_id, attestation_id, credential_id, token_hash, reveal, presentation, created_at, created_by, expires_at)
         values (gen_random_uuid(), 'acme', $1, $2, 'x', '[]'::jsonb, 'x', now(), 'test', now() + interval '1 day')`,
        [issued.globex!.attestation, issued.acme!.credential],
      ),
    ).toBe('23503');
  });
});
