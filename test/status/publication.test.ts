/**
 * Status lists end to end through the real app: what credentials point at, what is published
 * at those URLs, how a status changes, and when lists are re-signed.
 */
import { compactVerify, createLocalJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAttestationsIn } from '../../src/attestations/issue.ts';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { createApp } from '../../src/http/app.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { rotateNow } from '../../src/keys/rotation.ts';
import { createJsonLogger } from '../../src/log/logger.ts';
import { changeStatus } from '../../src/status/changes.ts';
import { decodeBitstringStatusList, decodeTokenStatusList } from '../../src/status/codec.ts';
import { openList } from '../../src/status/lists.ts';
import { republishStaleLists } from '../../src/status/sweep.ts';
import { withTenant } from '../../src/store/tenant-scope.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, ORIGIN, type Harness } from '../support/harness.ts';
import { activeKid, allTenants, expectProblem, readinessAssessment } from '../http/helpers.ts';

interface Issued {
  attestation_id: string;
  credentials: { id: string; format: string; credential: string }[];
}
interface StatusView {
  credential: string;
  attestation_id: string;
  status: string;
  changed?: boolean;
  status_list: { id: string; index: number; token: string; revocation: string; suspension: string };
  history: {
    from: string;
    to: string;
    reason: string;
    public_reason: string | null;
    changed_at: string;
    changed_by: string;
    credential: string | null;
  }[];
}
interface BitstringEntry {
  id: string;
  type: string;
  statusPurpose: string;
  statusListIndex: string;
  statusListCredential: string;
}

/** Where a credential of any of our formats says its status is, read from the credential itself. */
function statusReference(format: string, credential: string): { token?: string; index: number; entries?: BitstringEntry[] } {
  if (format === 'dc+sd-jwt') {
    const { status } = decodeJwt(credential.split('~')[0]!) as { status: { status_list: { idx: number; uri: string } } };
    return { token: status.status_list.uri, index: status.status_list.idx };
  }
  const payload = decodeJwt(credential) as { credentialStatus?: BitstringEntry[]; vc?: { credentialStatus: BitstringEntry[] } };
  const entries = format === 'vc+jwt' ? payload.credentialStatus! : payload.vc!.credentialStatus;
  return { index: Number(entries[0]!.statusListIndex), entries };
}

describe.each(engines())('status lists over HTTP on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  let tenantN = 0;

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db);
  });
  afterAll(() => t.dispose());

  async function tenant(): Promise<string> {
    const id = `status-${++tenantN}`;
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: id } })).status).toBe(201);
    return id;
  }
  async function issueAttestation(tenantId: string, formats: string[], organisation = 'Acme Corp'): Promise<Issued> {
    const assessment = readinessAssessment();
    const res = await h.request('POST', `/v1/t/${tenantId}/attestations`, {
      token: h.adminToken,
      body: { assessment: { ...assessment, subject: { ...assessment.subject, organisation } }, formats },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Issued;
  }
  const issue = async (tenantId: string, formats: string[], organisation = 'Acme Corp') =>
    (await issueAttestation(tenantId, formats, organisation)).credentials;
  const path = (url: string) => url.slice(ORIGIN.length);
  const patch = (
    tenantId: string,
    credential: string,
    status: string,
    reason = `set ${status}`,
    token = h.adminToken,
    publicReason?: string,
  ) =>
    h.request('PATCH', `/v1/t/${tenantId}/credentials/${encodeURIComponent(credential)}/status`, {
      token,
      body: { status, reason, ...(publicReason ? { public_reason: publicReason } : {}) },
    });
  async function statusOf(tenantId: string, credential: string): Promise<StatusView> {
    const res = await h.request('GET', `/v1/t/${tenantId}/credentials/${encodeURIComponent(credential)}/status`, { token: h.adminToken });
    expect(res.status).toBe(200);
    return (await res.json()) as StatusView;
  }
  /** The token list at `url`, its signature checked against the tenant's published JWKS. */
  async function tokenList(tenantId: string, url: string) {
    const res = await h.request('GET', path(url));
    expect(res.status, await res.clone().text()).toBe(200);
    const jwks = (await (await h.request('GET', `/t/${tenantId}/jwks.json`)).json()) as { keys: JWK[] };
    const { payload, protectedHeader } = await jwtVerify(await res.text(), createLocalJWKSet(jwks), {
      typ: 'statuslist+jwt',
      currentDate: h.clock(),
    });
    return { res, payload, protectedHeader, list: await decodeTokenStatusList(payload.status_list) };
  }
  /** A Bitstring Status List credential at `url`, verified with the key its kid names in the tenant's DID document. */
  async function bitstringList(tenantId: string, url: string) {
    const res = await h.request('GET', path(url));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/vc+jwt');
    const jws = await res.text();
    const header = decodeProtectedHeader(jws);
    const did = (await (await h.request('GET', `/t/${tenantId}/did.json`)).json()) as {
      assertionMethod: string[];
      verificationMethod: { id: string; publicKeyJwk: JWK }[];
    };
    expect(did.assertionMethod).toContain(header.kid);
    const method = did.verificationMethod.find((m) => m.id === header.kid)!;
    const verified = await compactVerify(jws, await importJWK(method.publicKeyJwk, header.alg));
    const credential = JSON.parse(new TextDecoder().decode(verified.payload)) as {
      id: string;
      type: string[];
      issuer: string;
      validFrom: string;
      validUntil: string;
      credentialSubject: { id: string; type: string; statusPurpose: string; encodedList: string; ttl: number };
    };
    return { header, credential, list: await decodeBitstringStatusList(credential.credentialSubject.encodedList) };
  }
  async function statuses(tenantId: string, ref: StatusView['status_list']) {
    const [token, revocation, suspension] = await Promise.all([
      tokenList(tenantId, ref.token),
      bitstringList(tenantId, ref.revocation),
      bitstringList(tenantId, ref.suspension),
    ]);
    return { token: token.list.get(ref.index), revoked: revocation.list.get(ref.index), suspended: suspension.list.get(ref.index) };
  }

  it('gives the formats of one attestation one shared slot, each attestation its own, and points each format at the right published form', async () => {
    const id = await tenant();
    const issued = await issueAttestation(id, ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt']);
    const credentials = issued.credentials;
    const views = await Promise.all(credentials.map((c) => statusOf(id, c.id)));
    expect(views.map((v) => v.status)).toEqual(['valid', 'valid', 'valid']);
    expect(views.map((v) => v.attestation_id)).toEqual([issued.attestation_id, issued.attestation_id, issued.attestation_id]);
    expect(new Set(views.map((v) => v.status_list.id)).size).toBe(1);
    expect(new Set(views.map((v) => v.status_list.index)).size).toBe(1);
    // Another issuance of the same subject is another attestation, with a slot of its own.
    const next = await issueAttestation(id, ['vc+jwt', 'dc+sd-jwt']);
    expect(next.attestation_id).not.toBe(issued.attestation_id);
    const nextViews = await Promise.all(next.credentials.map((c) => statusOf(id, c.id)));
    expect(new Set(nextViews.map((v) => v.status_list.index)).size).toBe(1);
    expect(nextViews[0]!.status_list.index).not.toBe(views[0]!.status_list.index);

    for (const [i, c] of credentials.entries()) {
      const ref = statusReference(c.format, c.credential);
      const listUrls = views[i]!.status_list;
      expect(ref.index).toBe(listUrls.index);
      expect(listUrls.token).toBe(`${ORIGIN}/t/${id}/status/${listUrls.id}`);
      const record = (await (await h.request('GET', `/v1/t/${id}/credentials/${c.id}`, { token: h.adminToken })).json()) as {
        status_list: unknown;
      };
      expect(record.status_list).toEqual({ id: listUrls.id, index: listUrls.index, token: listUrls.token });
      if (c.format === 'dc+sd-jwt') expect(ref.token).toBe(listUrls.token);
      else {
        expect(ref.entries).toEqual(
          (['revocation', 'suspension'] as const).map((purpose) => ({
            id: `${listUrls[purpose]}#${listUrls.index}`,
            type: 'BitstringStatusListEntry',
            statusPurpose: purpose,
            statusListIndex: String(listUrls.index),
            statusListCredential: listUrls[purpose],
          })),
        );
      }
    }
  });

  it('publishes a signed Token Status List whose sub is its own URL, cacheable for its ttl and revalidated by ETag', async () => {
    const id = await tenant();
    const [credential] = await issue(id, ['dc+sd-jwt']);
    const ref = (await statusOf(id, credential!.id)).status_list;
    const { res, payload, protectedHeader, list } = await tokenList(id, ref.token);

    expect(res.headers.get('content-type')).toBe('application/statuslist+jwt');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(protectedHeader).toMatchObject({ typ: 'statuslist+jwt', kid: await activeKid(t.db, id) });
    expect(payload).toMatchObject({ iss: `${ORIGIN}/t/${id}`, sub: ref.token, ttl: 300, iat: h.clock().getTime() / 1000 });
    expect(payload.exp! - payload.iat!).toBe(86_400);
    expect((payload.status_list as { bits: number }).bits).toBe(2);
    expect(list.size).toBe(131_072);
    expect(list.get(ref.index)).toBe(0);

    const etag = res.headers.get('etag')!;
    const again = await h.request('GET', path(ref.token), { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
  });

  it('publishes one W3C Bitstring Status List credential per purpose over the same indices', async () => {
    const id = await tenant();
    const [credential] = await issue(id, ['vc+jwt']);
    const ref = (await statusOf(id, credential!.id)).status_list;
    for (const purpose of ['revocation', 'suspension'] as const) {
      const { header, credential: vc, list } = await bitstringList(id, ref[purpose]);
      expect(header).toMatchObject({ typ: 'vc+jwt', cty: 'vc' });
      expect(vc).toMatchObject({
        id: ref[purpose],
        type: ['VerifiableCredential', 'BitstringStatusListCredential'],
        issuer: `did:web:issuer.test:t:${id}`,
        validFrom: h.clock().toISOString(),
        credentialSubject: { id: `${ref[purpose]}#list`, type: 'BitstringStatusList', statusPurpose: purpose, ttl: 300_000 },
      });
      expect(vc.credentialSubject.encodedList.startsWith('u')).toBe(true);
      expect(list.size).toBe(131_072);
      expect(list.get(ref.index)).toBe(0);
    }
  });

  it('suspends, reinstates and revokes every format of the attestation at once, records who, when and why, and refuses to undo a revocation', async () => {
    const id = await tenant();
    const issued = await issueAttestation(id, ['dc+sd-jwt', 'vc+jwt', 'jwt_vc_json']);
    const [credential] = issued.credentials;
    const [bystander] = await issue(id, ['dc+sd-jwt', 'vc+jwt']);
    const ref = (await statusOf(id, credential!.id)).status_list;
    const other = (await statusOf(id, bystander!.id)).status_list;
    expect(other.index).not.toBe(ref.index);
    // Where each format says its status is, read from the credential itself: all the same slot.
    for (const c of issued.credentials) expect(statusReference(c.format, c.credential).index).toBe(ref.index);

    const steps = [
      { status: 'suspended', expected: { token: 2, revoked: 0, suspended: 1 } },
      { status: 'valid', expected: { token: 0, revoked: 0, suspended: 0 } },
      { status: 'revoked', expected: { token: 1, revoked: 1, suspended: 0 } },
    ];
    for (const step of steps) {
      const res = await patch(id, credential!.id, step.status, `because ${step.status}`, h.adminToken, `public ${step.status}`);
      expect(res.status, await res.clone().text()).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(((await res.json()) as StatusView).changed).toBe(true);
      // One change, seen by every format (they all point at `ref`) through all three published forms.
      expect(await statuses(id, ref)).toEqual(step.expected);
      for (const c of issued.credentials) {
        const view = await statusOf(id, c.id);
        expect(view.status).toBe(step.status);
        expect(view.status_list).toEqual(ref);
      }
      expect(await statuses(id, other)).toEqual({ token: 0, revoked: 0, suspended: 0 });
      expect((await statusOf(id, bystander!.id)).status).toBe('valid');
    }

    for (const back of ['valid', 'suspended']) {
      const problem = await expectProblem(await patch(id, credential!.id, back), 409, 'status_final');
      expect(JSON.stringify(problem)).not.toContain('stack');
    }
    const same = await patch(id, credential!.id, 'revoked', 'asked twice');
    expect(((await same.json()) as StatusView).changed).toBe(false);

    const expectedHistory = [
      ['valid', 'suspended'],
      ['suspended', 'valid'],
      ['valid', 'revoked'],
    ].map(([from, to]) => ({
      from,
      to,
      reason: `because ${to}`,
      public_reason: `public ${to}`,
      changed_at: h.clock().toISOString(),
      changed_by: expect.any(String),
      credential: null,
    }));
    // One history, the attestation's, whichever format it is read through.
    for (const c of issued.credentials) {
      const view = await statusOf(id, c.id);
      expect(view.status).toBe('revoked');
      expect(view.history).toEqual(expectedHistory);
    }
    expect((await statusOf(id, bystander!.id)).history).toEqual([]);
    const audited = await allTenants(t.db, (tx) =>
      tx.query<{ action: string }>(`select action from audit_events where tenant_id = $1 and target = $2 order by id`, [
        id,
        issued.attestation_id,
      ]),
    );
    expect(audited.map((e) => e.action)).toEqual([
      'attestation.issued',
      'attestation.suspended',
      'attestation.reinstated',
      'attestation.revoked',
    ]);
  });

  it('answers bad status requests with problems and changes nothing', async () => {
    const id = await tenant();
    const [credential] = await issue(id, ['dc+sd-jwt']);
    const before = await statusOf(id, credential!.id);
    await expectProblem(await patch(id, 'urn:uuid:00000000-0000-4000-8000-000000000000', 'revoked'), 404, 'credential_not_found');
    await expectProblem(await patch(id, 'not-a-credential', 'revoked'), 404, 'credential_not_found');
    await expectProblem(await patch(id, credential!.id, 'expired'), 400, 'invalid_request');
    await expectProblem(await patch(id, credential!.id, 'revoked', '   '), 400, 'invalid_request');
    await expectProblem(await patch(id, credential!.id, 'revoked', 'x'.repeat(501)), 400, 'invalid_request');

    const auditor = (await createApiKey({ db: t.db, now: h.clock(), actor: 'test' }, { tenantId: id, roles: ['auditor'] })).token;
    await expectProblem(await patch(id, credential!.id, 'revoked', 'no role', auditor), 403, 'forbidden');
    const read = await h.request('GET', `/v1/t/${id}/credentials/${credential!.id}/status`, { token: auditor });
    expect(read.status).toBe(200);
    expect(await statusOf(id, credential!.id)).toEqual(before);

    await expectProblem(await h.request('GET', `/t/${id}/status/AAAAAAAAAAAAAAAAAAAAAA`), 404, 'status_list_not_found');
    await expectProblem(await h.request('GET', `/t/${id}/status/${'%00'}`), 404, 'not_found');
    await expectProblem(await h.request('GET', `/t/no-such-tenant/status/${before.status_list.id}`), 404, 'tenant_not_found');
    await expectProblem(await h.request('GET', `/t/${id}/status/${before.status_list.id}/other`), 404, 'not_found');
  });

  it('never signs on a read: a change committed without its re-signing is served once the sweep signs it', async () => {
    const id = await tenant();
    const [credential] = await issue(id, ['dc+sd-jwt']);
    const ref = (await statusOf(id, credential!.id)).status_list;
    expect((await statuses(id, ref)).token).toBe(0);
    // A change committed by another instance whose re-signing has not happened (yet, or at all).
    await withTenant(t.db, id, (tx) =>
      changeStatus(tx, { now: h.clock(), actor: 'elsewhere' }, id, credential!.id.replace('urn:uuid:', ''), {
        to: 'suspended',
        reason: 'other instance',
      }),
    );
    // Readers serve the copy as stored: no key is opened on a public path.
    expect(await statuses(id, ref)).toEqual({ token: 0, revoked: 0, suspended: 0 });
    const { published } = await republishStaleLists({
      db: t.db,
      kek: h.kek,
      origin: h.config.publicUrl,
      now: h.clock(),
      log: createJsonLogger('error'),
    });
    expect(published).toBeGreaterThanOrEqual(1);
    expect(await statuses(id, ref)).toEqual({ token: 2, revoked: 0, suspended: 1 });
  });

  it('signs the first copy of a list with the first issuance that commits in it, even after one that signed it rolled back', async () => {
    const id = await tenant();
    // A list opened without a copy, as lists were before issuance signed the first one (or as an
    // older instance still opens them during an upgrade).
    await withTenant(t.db, id, (tx) => openList(tx, id, h.clock()));
    // An issuance that signs the list's first copy and then rolls back: the OID4VCI credential
    // endpoint's own write, which commits with the credential or not at all, failed after it.
    const deps = { db: t.db, kek: h.kek, origin: h.config.publicUrl, now: h.clock(), actor: 'wallet' };
    const request = { assessment: readinessAssessment(), formats: ['dc+sd-jwt' as const] };
    await expect(
      withTenant(t.db, id, async (tx) => {
        await issueAttestationsIn(tx, deps, id, request);
        throw new Error('the caller failed after issuing');
      }),
    ).rejects.toThrow('the caller failed after issuing');
    // The next issuance in that list must not hand out a credential whose list cannot be read.
    const [credential] = await issue(id, ['dc+sd-jwt']);
    const ref = (await statusOf(id, credential!.id)).status_list;
    expect(await statuses(id, ref)).toEqual({ token: 0, revoked: 0, suspended: 0 });
  });

  it('keeps a status change when the list cannot be re-signed, and logs why', async () => {
    const id = await tenant();
    const [credential] = await issue(id, ['dc+sd-jwt']);
    const ref = (await statusOf(id, credential!.id)).status_list;
    await statuses(id, ref);
    // A second instance deployed with the wrong KEK: it can record the change, but cannot sign.
    const lines: string[] = [];
    const wrong = createApp({
      config: h.config,
      kek: await importKeyEncryptionKey(generateKeyEncryptionKey()),
      clock: h.clock,
      log: createJsonLogger('debug', (l) => lines.push(l)),
      fetch: () => Promise.reject(new Error('no network')),
    });
    const res = await wrong.fetch(
      new Request(`${ORIGIN}/v1/t/${id}/credentials/${credential!.id}/status`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${h.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'revoked', reason: 'key material leaked' }),
      }),
      { db: t.db },
    );
    expect(res.status).toBe(200);
    expect(lines.some((l) => l.includes('status list publication failed'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/"d":|PRIVATE/);
    expect((await statusOf(id, credential!.id)).status).toBe('revoked');
    // The instance that can sign publishes the change at its next sweep.
    await republishStaleLists({ db: t.db, kek: h.kek, origin: h.config.publicUrl, now: h.clock(), log: createJsonLogger('error') });
    expect(await statuses(id, ref)).toEqual({ token: 1, revoked: 1, suspended: 0 });
  });

  it('revokes every credential of a subject at once, and only those', async () => {
    const id = await tenant();
    const firstAttestation = await issueAttestation(id, ['vc+jwt', 'dc+sd-jwt'], 'Globex');
    const first = firstAttestation.credentials;
    const second = await issue(id, ['jwt_vc_json'], 'Globex');
    const [other] = await issue(id, ['dc+sd-jwt'], 'Initech');
    await patch(id, second[0]!.id, 'revoked');

    const res = await h.request('POST', `/v1/t/${id}/credentials/revoke`, {
      token: h.adminToken,
      body: { subject: 'Globex / Acme Cloud', reason: 'contract ended' },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { revoked: number; attestations: string[]; credentials: string[] };
    expect(body.revoked).toBe(2);
    expect(body.attestations).toEqual([firstAttestation.attestation_id]);
    expect(body.credentials.sort()).toEqual(first.map((c) => c.id).sort());
    for (const c of [...first, ...second]) {
      const view = await statusOf(id, c.id);
      expect(view.status).toBe('revoked');
      expect((await statuses(id, view.status_list)).token).toBe(1);
    }
    expect((await statusOf(id, other!.id)).status).toBe('valid');
    expect((await statusOf(id, first[0]!.id)).history.at(-1)).toMatchObject({ from: 'valid', to: 'revoked', reason: 'contract ended' });

    const again = await h.request('POST', `/v1/t/${id}/credentials/revoke`, {
      token: h.adminToken,
      body: { subject: 'Globex / Acme Cloud', reason: 'again' },
    });
    expect(await again.json()).toEqual({ revoked: 0, attestations: [], credentials: [] });
    await expectProblem(
      await h.request('POST', `/v1/t/${id}/credentials/revoke`, { token: h.adminToken, body: { subject: 'x', kid: 'y', reason: 'z' } }),
      400,
      'invalid_request',
    );
  });

  it('revokes what a key signed when the key is revoked, and re-signs the list with its successor', async () => {
    const id = await tenant();
    const compromised = await activeKid(t.db, id);
    const signed = await issue(id, ['vc+jwt', 'dc+sd-jwt']);
    const ref = (await statusOf(id, signed[0]!.id)).status_list;
    expect((await tokenList(id, ref.token)).protectedHeader.kid).toBe(compromised);

    const res = await h.request('POST', `/v1/t/${id}/keys/${compromised}/revoke`, { token: h.adminToken, body: { reason: 'leaked' } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { credentials_revoked: number }).credentials_revoked).toBe(2);

    const successor = await activeKid(t.db, id);
    expect(successor).not.toBe(compromised);
    const { protectedHeader, list } = await tokenList(id, ref.token);
    expect(protectedHeader.kid).toBe(successor);
    for (const c of signed) {
      const view = await statusOf(id, c.id);
      expect(view.history.at(-1)).toMatchObject({ to: 'revoked', reason: 'signing key revoked: leaked' });
      expect(list.get(view.status_list.index)).toBe(1);
    }
    // Issued after the revocation, by the successor: untouched.
    const [fresh] = await issue(id, ['dc+sd-jwt']);
    expect((await statusOf(id, fresh!.id)).status).toBe('valid');
  });

  it('re-signs on schedule: lists near expiry, and lists signed by a key that has since retired', async () => {
    const id = await tenant();
    const [credential] = await issue(id, ['dc+sd-jwt']);
    const ref = (await statusOf(id, credential!.id)).status_list;
    const first = await tokenList(id, ref.token);
    const sweep = () =>
      republishStaleLists({ db: t.db, kek: h.kek, origin: h.config.publicUrl, now: h.clock(), log: createJsonLogger('error') });
    const stored = async () =>
      (
        await withTenant(t.db, id, (tx) =>
          tx.query<{ issued_at: Date; kid: string }>(
            'select issued_at, kid from status_publications where tenant_id = $1 and list_id = $2',
            [id, ref.id],
          ),
        )
      )[0]!;

    await sweep();
    expect((await stored()).issued_at.getTime()).toBe(first.payload.iat! * 1000);

    h.clock.set(new Date(h.clock().getTime() + 13 * 3600_000));
    await sweep();
    expect((await stored()).issued_at).toEqual(h.clock());

    await rotateNow({ db: t.db, kek: h.kek, now: h.clock(), actor: 'test' }, id);
    await sweep();
    expect((await stored()).kid).toBe(await activeKid(t.db, id));
    expect((await tokenList(id, ref.token)).protectedHeader.kid).toBe(await activeKid(t.db, id));
  });
});
