/**
 * One issuance is one attestation: its formats share one status slot, a change reaches every
 * format at once (as a verifier sees it through POST /v1/verify and the public notice), an
 * attestation may supersede an older one of the same subject, and the operator reads each
 * attestation with its formats, status, history and lineage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { expectProblem, readinessAssessment, tenantState, type Problem } from './helpers.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ALL_FORMATS = ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'];

interface Issued {
  attestation_id: string;
  supersedes: string | null;
  credentials: { id: string; format: string; media_type: string; credential: string }[];
}
interface HistoryEntry {
  from: string;
  to: string;
  reason: string;
  public_reason: string | null;
  changed_at: string;
  changed_by: string;
  credential: string | null;
}
interface Attestation {
  id: string;
  subject: { name: string; id: string | null };
  profile: { id: string; version: string };
  issued_at: string;
  status: string | null;
  supersedes: string | null;
  superseded_by: { id: string; issued_at: string } | null;
  status_lists: { id: string; index: number; token: string; revocation: string; suspension: string }[];
  formats: { credential_id: string; format: string; media_type: string; credential: string }[];
  history: HistoryEntry[];
  active_shares: number;
}
interface Report {
  verified: boolean;
  format: string;
  credential_id?: string;
  checks: { name: string; ok: boolean; code: string }[];
  status?: { value: string };
  notice?: {
    attestation_id: string;
    status: string;
    changed_at?: string;
    reason?: string;
    superseded_by?: { attestation_id: string; issued_at: string };
  };
}

describe.each(engines())('the attestation is the unit on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;

  beforeAll(async () => {
    t = await open();
    // Every step below verifies each format again; the public limit is not what is tested here.
    h = await harness(t.db, { env: { VERIFY_RATE_LIMIT_PER_MINUTE: '100000' } });
    for (const id of ['acme', 'globex', 'lister'])
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: `Tenant ${id}` } })).status).toBe(201);
  });
  afterAll(() => t.dispose());

  const issueRaw = (tenant: string, formats: string[], extra: { organisation?: string; supersedes?: string } = {}) => {
    const a = readinessAssessment();
    return h.request('POST', `/v1/t/${tenant}/attestations`, {
      token: h.adminToken,
      body: {
        assessment: { ...a, subject: { ...a.subject, organisation: extra.organisation ?? a.subject.organisation } },
        formats,
        ...(extra.supersedes ? { supersedes: extra.supersedes } : {}),
      },
    });
  };
  async function issue(tenant: string, formats: string[], extra: { organisation?: string; supersedes?: string } = {}): Promise<Issued> {
    const res = await issueRaw(tenant, formats, extra);
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Issued;
  }
  async function attestation(tenant: string, id: string): Promise<Attestation> {
    const res = await h.request('GET', `/v1/t/${tenant}/attestations/${id}`, { token: h.adminToken });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Attestation;
  }
  const patchAttestation = (tenant: string, id: string, body: Record<string, string>) =>
    h.request('PATCH', `/v1/t/${tenant}/attestations/${id}/status`, { token: h.adminToken, body });
  /** What any relying party gets from the public verification endpoint (a status change re-signed its list before answering). */
  async function verify(credential: string): Promise<Report> {
    const res = await h.request('POST', '/v1/verify', { body: { credential } });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Report;
  }
  const failed = (r: Report) => r.checks.filter((c) => !c.ok).map((c) => `${c.name}:${c.code}`);

  it('issues three formats as one attestation whose credentials all point at the same slot', async () => {
    const issued = await issue('acme', ALL_FORMATS);
    expect(issued.attestation_id).toMatch(UUID);
    expect(issued.supersedes).toBeNull();
    expect(issued.credentials.map((c) => c.format).sort()).toEqual([...ALL_FORMATS].sort());

    const records = await Promise.all(
      issued.credentials.map(async (c) => {
        const res = await h.request('GET', `/v1/t/acme/credentials/${c.id}`, { token: h.adminToken });
        return ((await res.json()) as { status_list: { id: string; index: number } }).status_list;
      }),
    );
    expect(new Set(records.map((r) => `${r.id}#${r.index}`)).size).toBe(1);

    const view = await attestation('acme', issued.attestation_id);
    expect(view.status).toBe('valid');
    expect(view.status_lists).toHaveLength(1);
    expect(view.status_lists[0]).toMatchObject(records[0]!);
    expect(view.formats.map((f) => [f.credential_id, f.format, f.credential]).sort()).toEqual(
      issued.credentials.map((c) => [c.id, c.format, c.credential]).sort(),
    );
    expect(view.history).toEqual([]);

    for (const c of issued.credentials) {
      const r = await verify(c.credential);
      expect({ format: r.format, verified: r.verified, status: r.status?.value }).toEqual({
        format: c.format,
        verified: true,
        status: 'valid',
      });
      expect(r.notice).toEqual({ attestation_id: issued.attestation_id, status: 'valid' });
    }
  });

  it('suspends, reinstates and revokes every format at once; verifiers see since when and the public reason, never the internal one', async () => {
    const issued = await issue('acme', ALL_FORMATS);
    const [bystander] = (await issue('acme', ['vc+jwt'])).credentials;
    const internal = 'INTERNAL: ticket 4411, customer threatened legal action';
    const suspendedAt = h.clock().toISOString();

    const res = await patchAttestation('acme', issued.attestation_id, {
      status: 'suspended',
      reason: internal,
      public_reason: 'Under review after a customer report',
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as { attestation_id: string; status: string; changed: boolean; credentials: string[] };
    expect(body).toMatchObject({ attestation_id: issued.attestation_id, status: 'suspended', changed: true });
    expect([...body.credentials].sort()).toEqual(issued.credentials.map((c) => c.id).sort());

    for (const c of issued.credentials) {
      const r = await verify(c.credential);
      expect({ format: r.format, verified: r.verified, failed: failed(r), status: r.status?.value }).toEqual({
        format: c.format,
        verified: false,
        failed: ['status:suspended'],
        status: 'suspended',
      });
      expect(r.notice).toEqual({
        attestation_id: issued.attestation_id,
        status: 'suspended',
        changed_at: suspendedAt,
        reason: 'Under review after a customer report',
      });
      expect(JSON.stringify(r)).not.toContain('4411');

      // The public notice says the same, to anyone, from any origin.
      const notice = await h.request('GET', `/t/acme/notices/${c.id.replace('urn:uuid:', '')}`);
      expect(notice.status).toBe(200);
      expect(notice.headers.get('access-control-allow-origin')).toBe('*');
      const text = await notice.text();
      expect(JSON.parse(text)).toEqual(r.notice);
      expect(text).not.toContain('4411');
    }
    expect((await verify(bystander!.credential)).verified).toBe(true);

    h.clock.advanceDays(1);
    const reinstatedAt = h.clock().toISOString();
    expect((await patchAttestation('acme', issued.attestation_id, { status: 'valid', reason: 'review closed' })).status).toBe(200);
    for (const c of issued.credentials) {
      const r = await verify(c.credential);
      expect({ verified: r.verified, status: r.status?.value }).toEqual({ verified: true, status: 'valid' });
      // Reinstated without a public reason: none is shown, not the one of the suspension.
      expect(r.notice).toEqual({ attestation_id: issued.attestation_id, status: 'valid', changed_at: reinstatedAt });
    }

    h.clock.advanceDays(1);
    expect(
      (
        await patchAttestation('acme', issued.attestation_id, {
          status: 'revoked',
          reason: internal,
          public_reason: 'Withdrawn by the vendor',
        })
      ).status,
    ).toBe(200);
    for (const c of issued.credentials) {
      const r = await verify(c.credential);
      expect({ verified: r.verified, failed: failed(r), status: r.status?.value }).toEqual({
        verified: false,
        failed: ['status:revoked'],
        status: 'revoked',
      });
      expect(r.notice).toMatchObject({ status: 'revoked', reason: 'Withdrawn by the vendor' });
    }
    await expectProblem(await patchAttestation('acme', issued.attestation_id, { status: 'valid', reason: 'undo' }), 409, 'status_final');
    // Asking again changes nothing and records nothing, whatever reason is given.
    const same = await patchAttestation('acme', issued.attestation_id, { status: 'revoked', reason: 'again', public_reason: 'Again' });
    expect(await same.json()).toMatchObject({ status: 'revoked', changed: false, credentials: [] });

    const view = await attestation('acme', issued.attestation_id);
    expect(view.status).toBe('revoked');
    expect(view.history.map((e) => [e.from, e.to, e.reason, e.public_reason, e.credential])).toEqual([
      ['valid', 'suspended', internal, 'Under review after a customer report', null],
      ['suspended', 'valid', 'review closed', null, null],
      ['valid', 'revoked', internal, 'Withdrawn by the vendor', null],
    ]);
    expect((await verify(bystander!.credential)).verified).toBe(true);
  });

  it('revokes every format when one credential is revoked through its own route', async () => {
    const issued = await issue('acme', ALL_FORMATS);
    const other = await issue('acme', ALL_FORMATS);
    const sdJwt = issued.credentials.find((c) => c.format === 'dc+sd-jwt')!;
    const res = await h.request('PATCH', `/v1/t/acme/credentials/${sdJwt.id}/status`, {
      token: h.adminToken,
      body: { status: 'revoked', reason: 'replaced by a corrected assessment' },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({
      credential: sdJwt.id,
      attestation_id: issued.attestation_id,
      status: 'revoked',
      changed: true,
    });

    for (const c of issued.credentials) {
      const r = await verify(c.credential);
      expect({ format: r.format, failed: failed(r) }).toEqual({ format: c.format, failed: ['status:revoked'] });
      const status = await h.request('GET', `/v1/t/acme/credentials/${c.id}/status`, { token: h.adminToken });
      expect(((await status.json()) as { status: string }).status).toBe('revoked');
    }
    expect((await attestation('acme', issued.attestation_id)).status).toBe('revoked');
    for (const c of other.credentials) expect((await verify(c.credential)).verified).toBe(true);
  });

  it('refuses bad status changes on an attestation with problems, changing nothing', async () => {
    const issued = await issue('acme', ['vc+jwt']);
    const auditor = (await createApiKey({ db: t.db, now: h.clock(), actor: 'test' }, { tenantId: 'acme', roles: ['auditor'] })).token;
    const before = await tenantState(t.db, 'acme');
    await expectProblem(
      await patchAttestation('acme', crypto.randomUUID(), { status: 'revoked', reason: 'x' }),
      404,
      'attestation_not_found',
    );
    await expectProblem(await patchAttestation('acme', 'not-an-id', { status: 'revoked', reason: 'x' }), 404, 'attestation_not_found');
    await expectProblem(await patchAttestation('acme', issued.attestation_id, { status: 'expired', reason: 'x' }), 400, 'invalid_request');
    const blank = await expectProblem(
      await patchAttestation('acme', issued.attestation_id, { status: 'revoked', reason: 'x', public_reason: '  ' }),
      400,
      'invalid_request',
    );
    expect(blank.errors?.map((e) => e.pointer)).toEqual(['/public_reason']);
    await expectProblem(
      await h.request('PATCH', `/v1/t/acme/attestations/${issued.attestation_id}/status`, {
        token: auditor,
        body: { status: 'revoked', reason: 'no role' },
      }),
      403,
      'forbidden',
    );
    // An auditor reads what it may not change.
    expect((await h.request('GET', `/v1/t/acme/attestations/${issued.attestation_id}`, { token: auditor })).status).toBe(200);
    expect(await tenantState(t.db, 'acme')).toEqual(before);
  });

  describe('supersedes', () => {
    it('links a newer attestation of the same subject to the older one, which every view then reports as superseded', async () => {
      const older = await issue('acme', ['vc+jwt', 'dc+sd-jwt']);
      h.clock.advanceDays(1);
      const newer = await issue('acme', ['vc+jwt', 'dc+sd-jwt'], { supersedes: older.attestation_id });
      expect(newer.supersedes).toBe(older.attestation_id);

      const olderView = await attestation('acme', older.attestation_id);
      expect(olderView.superseded_by).toEqual({ id: newer.attestation_id, issued_at: h.clock().toISOString() });
      expect(olderView.supersedes).toBeNull();
      const newerView = await attestation('acme', newer.attestation_id);
      expect(newerView).toMatchObject({ supersedes: older.attestation_id, superseded_by: null });

      for (const c of older.credentials) {
        const r = await verify(c.credential);
        // Superseded is information for the buyer; the older credential itself still verifies.
        expect(r.verified).toBe(true);
        expect(r.notice).toEqual({
          attestation_id: older.attestation_id,
          status: 'valid',
          superseded_by: { attestation_id: newer.attestation_id, issued_at: h.clock().toISOString() },
        });
      }
      for (const c of newer.credentials) expect((await verify(c.credential)).notice?.superseded_by).toBeUndefined();
    });

    it('refuses another subject (422), a second successor (409) and an unknown attestation (404), storing nothing', async () => {
      const older = await issue('acme', ['vc+jwt']);
      await issue('acme', ['vc+jwt'], { supersedes: older.attestation_id });
      const fresh = await issue('acme', ['vc+jwt']);
      const before = await tenantState(t.db, 'acme');

      const other = await expectProblem(
        await issueRaw('acme', ['vc+jwt'], { organisation: 'Initech', supersedes: fresh.attestation_id }),
        422,
        'supersedes_other_subject',
      );
      expect(other.errors?.map((e) => e.pointer)).toEqual(['/supersedes']);
      await expectProblem(await issueRaw('acme', ['vc+jwt'], { supersedes: older.attestation_id }), 409, 'already_superseded');
      const unknown = await expectProblem(
        await issueRaw('acme', ['vc+jwt'], { supersedes: crypto.randomUUID() }),
        404,
        'attestation_not_found',
      );
      expect(unknown.errors?.map((e) => e.pointer)).toEqual(['/supersedes']);
      const malformed = await expectProblem(await issueRaw('acme', ['vc+jwt'], { supersedes: 'yesterday' }), 400, 'invalid_request');
      expect(malformed.errors?.map((e) => e.pointer)).toEqual(['/supersedes']);

      expect(await tenantState(t.db, 'acme')).toEqual(before);
    });

    it('replays a superseding issuance under its Idempotency-Key as the same attestation, not as a second successor', async () => {
      const older = await issue('acme', ['vc+jwt']);
      const a = readinessAssessment();
      const send = () =>
        h.request('POST', '/v1/t/acme/attestations', {
          token: h.adminToken,
          headers: { 'idempotency-key': `supersede-${older.attestation_id}` },
          body: { assessment: a, formats: ['vc+jwt'], supersedes: older.attestation_id },
        });
      const first = await send();
      expect(first.status, await first.clone().text()).toBe(201);
      const again = await send();
      expect(again.status, await again.clone().text()).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const [one, two] = [(await first.json()) as Issued, (await again.json()) as Issued];
      expect(two).toEqual(one);
      expect(one.supersedes).toBe(older.attestation_id);
      expect((await attestation('acme', older.attestation_id)).superseded_by?.id).toBe(one.attestation_id);
    });

    it('lets exactly one of two concurrent issuances supersede the same attestation; the other gets 409', async () => {
      const older = await issue('acme', ['vc+jwt']);
      const results = await Promise.all([1, 2].map(() => issueRaw('acme', ['vc+jwt'], { supersedes: older.attestation_id })));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      const loser = results.find((r) => r.status === 409)!;
      await expectProblem(loser, 409, 'already_superseded');
      const winner = (await results.find((r) => r.status === 201)!.json()) as Issued;
      expect((await attestation('acme', older.attestation_id)).superseded_by?.id).toBe(winner.attestation_id);
    });

    it('answers another tenant’s attestation id exactly as an unknown one, so a tenant learns nothing of it', async () => {
      const theirs = await issue('globex', ['vc+jwt']);
      const globexBefore = await tenantState(t.db, 'globex');
      // Equal but for the id asked about and the request id.
      const strip = (p: Problem, id: string) => JSON.parse(JSON.stringify({ ...p, request_id: undefined }).replaceAll(id, 'ID')) as unknown;

      const foreign = await expectProblem(
        await issueRaw('acme', ['vc+jwt'], { supersedes: theirs.attestation_id }),
        404,
        'attestation_not_found',
      );
      const made = crypto.randomUUID();
      const unknown = await expectProblem(await issueRaw('acme', ['vc+jwt'], { supersedes: made }), 404, 'attestation_not_found');
      expect(strip(foreign, theirs.attestation_id)).toEqual(strip(unknown, made));

      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['PATCH', '/status', { status: 'revoked', reason: 'not mine' }],
      ] as const) {
        const onTheirs = await expectProblem(
          await h.request(method, `/v1/t/acme/attestations/${theirs.attestation_id}${suffix}`, { token: h.adminToken, body }),
          404,
          'attestation_not_found',
        );
        const onNothing = await expectProblem(
          await h.request(method, `/v1/t/acme/attestations/${made}${suffix}`, { token: h.adminToken, body }),
          404,
          'attestation_not_found',
        );
        expect(strip(onTheirs, theirs.attestation_id)).toEqual(strip(onNothing, made));
      }
      // Nor does the public notice answer for another tenant's credential under this tenant's path.
      const theirCredential = theirs.credentials[0]!.id.replace('urn:uuid:', '');
      expect((await h.request('GET', `/t/globex/notices/${theirCredential}`)).status).toBe(200);
      const crossed = await expectProblem(await h.request('GET', `/t/acme/notices/${theirCredential}`), 404, 'credential_not_found');
      const nothing = await expectProblem(await h.request('GET', `/t/acme/notices/${made}`), 404, 'credential_not_found');
      expect(strip(crossed, theirCredential)).toEqual(strip(nothing, made));
      expect(await tenantState(t.db, 'globex')).toEqual(globexBefore);
      expect((await attestation('globex', theirs.attestation_id)).superseded_by).toBeNull();
    });
  });

  describe('listing and reading', () => {
    it('lists a tenant’s attestations newest first in pages that neither skip nor repeat, filtered by subject', async () => {
      const issued: { id: string; subject: string }[] = [];
      for (const [i, organisation] of ['Acme Corp', 'Initech', 'Acme Corp', 'Initech', 'Acme Corp'].entries()) {
        const a = await issue('lister', i % 2 ? ['dc+sd-jwt'] : ['vc+jwt', 'jwt_vc_json'], { organisation });
        issued.push({ id: a.attestation_id, subject: `${organisation} / Acme Cloud` });
        h.clock.set(new Date(h.clock().getTime() + 60_000));
      }
      const newestFirst = [...issued].reverse();

      const seen: { id: string; subject: { name: string }; status: string | null }[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
        const res = await h.request('GET', `/v1/t/lister/attestations${query}`, { token: h.adminToken });
        expect(res.status, await res.clone().text()).toBe(200);
        const page = (await res.json()) as { attestations: typeof seen; next_cursor: string | null };
        expect(page.attestations.length).toBeLessThanOrEqual(2);
        seen.push(...page.attestations);
        cursor = page.next_cursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen.map((a) => a.id)).toEqual(newestFirst.map((a) => a.id));
      expect(seen.map((a) => a.subject.name)).toEqual(newestFirst.map((a) => a.subject));
      expect(new Set(seen.map((a) => a.status))).toEqual(new Set(['valid']));

      const filtered = await h.request('GET', `/v1/t/lister/attestations?subject=${encodeURIComponent('Initech / Acme Cloud')}`, {
        token: h.adminToken,
      });
      const initech = (await filtered.json()) as { attestations: { id: string }[]; next_cursor: string | null };
      expect(initech.attestations.map((a) => a.id)).toEqual(newestFirst.filter((a) => a.subject.startsWith('Initech')).map((a) => a.id));
      expect(initech.next_cursor).toBeNull();

      // Another tenant's list holds none of them.
      const elsewhere = (await (await h.request('GET', '/v1/t/globex/attestations?limit=100', { token: h.adminToken })).json()) as {
        attestations: { id: string }[];
      };
      expect(elsewhere.attestations.map((a) => a.id)).not.toEqual(expect.arrayContaining([issued[0]!.id]));
      await expectProblem(await h.request('GET', '/v1/t/lister/attestations?limit=0', { token: h.adminToken }), 400, 'invalid_request');
      await expectProblem(
        await h.request('GET', '/v1/t/lister/attestations?cursor=garbage', { token: h.adminToken }),
        400,
        'invalid_request',
      );
    });

    it('pages attestations issued at the same instant without skipping or repeating one, and filters by profile', async () => {
      const tenant = 'lister';
      const sameInstant = new Set<string>();
      for (let i = 0; i < 3; i++) sameInstant.add((await issue(tenant, ['vc+jwt'], { organisation: 'Same Instant Ltd' })).attestation_id);
      const subject = encodeURIComponent('Same Instant Ltd / Acme Cloud');
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `?subject=${subject}&limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = (await (await h.request('GET', `/v1/t/${tenant}/attestations${query}`, { token: h.adminToken })).json()) as {
          attestations: { id: string }[];
          next_cursor: string | null;
        };
        seen.push(...page.attestations.map((a) => a.id));
        cursor = page.next_cursor;
      } while (cursor);
      expect(seen).toHaveLength(3);
      expect(new Set(seen)).toEqual(sameInstant);

      const byProfile = async (profile: string) =>
        (
          (await (
            await h.request('GET', `/v1/t/${tenant}/attestations?subject=${subject}&profile=${profile}`, { token: h.adminToken })
          ).json()) as {
            attestations: { id: string }[];
          }
        ).attestations.map((a) => a.id);
      expect(new Set(await byProfile('production-readiness-review'))).toEqual(sameInstant);
      expect(await byProfile('some-other-profile')).toEqual([]);
    });

    it('reads one attestation: its formats with their media types, its status and history with public reasons, and its lineage', async () => {
      const first = await issue('lister', ALL_FORMATS, { organisation: 'Umbrella' });
      await patchAttestation('lister', first.attestation_id, {
        status: 'suspended',
        reason: 'audit pending',
        public_reason: 'Audit pending',
      });
      const second = await issue('lister', ['dc+sd-jwt'], { organisation: 'Umbrella', supersedes: first.attestation_id });
      const third = await issue('lister', ['vc+jwt'], { organisation: 'Umbrella', supersedes: second.attestation_id });

      const view = await attestation('lister', second.attestation_id);
      expect(view).toMatchObject({
        id: second.attestation_id,
        subject: { name: 'Umbrella / Acme Cloud', id: null },
        profile: { id: 'production-readiness-review', version: '1.0.0' },
        status: 'valid',
        supersedes: first.attestation_id,
        superseded_by: { id: third.attestation_id },
        active_shares: 0,
      });
      expect(view.formats).toEqual([
        {
          credential_id: second.credentials[0]!.id,
          format: 'dc+sd-jwt',
          media_type: second.credentials[0]!.media_type,
          credential: second.credentials[0]!.credential,
        },
      ]);

      const firstView = await attestation('lister', first.attestation_id);
      expect(firstView.formats.map((f) => [f.format, f.media_type]).sort()).toEqual([
        ['dc+sd-jwt', 'application/dc+sd-jwt'],
        ['jwt_vc_json', 'application/jwt'],
        ['vc+jwt', 'application/vc+jwt'],
      ]);
      expect(firstView.status).toBe('suspended');
      expect(firstView.history).toEqual([
        {
          from: 'valid',
          to: 'suspended',
          reason: 'audit pending',
          public_reason: 'Audit pending',
          changed_at: h.clock().toISOString(),
          changed_by: expect.any(String),
          credential: null,
        },
      ]);
      expect(firstView.superseded_by?.id).toBe(second.attestation_id);
    });
  });
});
