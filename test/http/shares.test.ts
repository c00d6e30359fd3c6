/**
 * Share links: the vendor's consent to show one attestation to whoever holds the link, revealing
 * only the claims it chose. The token is the only key to it and is stored as a hash; the link
 * counts its views, can be withdrawn, expires, and carries a live badge.
 */
import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/auth/api-keys.ts';
import { openShare } from '../../src/sharing/shares.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, ORIGIN, type Harness } from '../support/harness.ts';
import { allTenants, expectProblem, readinessAssessment, tenantState } from './helpers.ts';

const CONTROL = 'security.ssrf';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Share {
  id: string;
  attestation_id: string;
  label: string | null;
  reveal: string[];
  format: string;
  state: 'active' | 'expired' | 'revoked';
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  view_count: number;
  last_viewed_at: string | null;
}
interface CreatedShare extends Share {
  url: string;
  token: string;
  badge: { svg: string; json: string };
}
interface Report {
  verified: boolean;
  format: string;
  status?: { value: string };
  claims?: Record<string, unknown>;
}

describe.each(engines())('share links on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  /** An attestation of tenant vendor in both a VC-JWT and an SD-JWT VC. */
  let attestation: string;
  let sdJwt: string;

  beforeAll(async () => {
    t = await open();
    // The share page and /v1/verify share one rate limit; views are counted here, not limited.
    h = await harness(t.db, { env: { VERIFY_RATE_LIMIT_PER_MINUTE: '100000' } });
    for (const id of ['vendor', 'rival'])
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: `Tenant ${id}` } })).status).toBe(201);
    const issued = (await issue('vendor', ['vc+jwt', 'dc+sd-jwt'])) as {
      attestation_id: string;
      credentials: { format: string; credential: string }[];
    };
    attestation = issued.attestation_id;
    sdJwt = issued.credentials.find((c) => c.format === 'dc+sd-jwt')!.credential;
  });
  afterAll(() => t.dispose());

  async function issue(tenant: string, formats: string[]): Promise<{ attestation_id: string }> {
    const res = await h.request('POST', `/v1/t/${tenant}/attestations`, {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as { attestation_id: string };
  }
  const inDays = (days: number) => new Date(h.clock().getTime() + days * 86_400_000).toISOString();
  const path = (url: string) => url.slice(ORIGIN.length);
  const createRaw = (body: Record<string, unknown>, at = attestation, tenant = 'vendor', token = h.adminToken) =>
    h.request('POST', `/v1/t/${tenant}/attestations/${at}/shares`, { token, body });
  async function create(body: Record<string, unknown> = {}, at = attestation): Promise<CreatedShare> {
    const res = await createRaw({ reveal: [`/results/${CONTROL}`], expires_at: inDays(30), ...body }, at);
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as CreatedShare;
  }
  async function list(at = attestation, tenant = 'vendor', token = h.adminToken): Promise<Share[]> {
    const res = await h.request('GET', `/v1/t/${tenant}/attestations/${at}/shares`, { token });
    expect(res.status, await res.clone().text()).toBe(200);
    return ((await res.json()) as { shares: Share[] }).shares;
  }
  const deleteShare = (id: string, at = attestation, tenant = 'vendor', token = h.adminToken) =>
    h.request('DELETE', `/v1/t/${tenant}/attestations/${at}/shares/${id}`, { token });
  async function verify(credential: string): Promise<Report> {
    const res = await h.request('POST', '/v1/verify', { body: { credential } });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as Report;
  }
  /** What the link presents, read as the page reads it, without counting a view. */
  async function presented(token: string): Promise<string> {
    const opened = await openShare(t.db, token, h.clock(), { countView: false });
    expect(opened?.kind).toBe('open');
    return (opened as { credential: string }).credential;
  }
  const disclosures = (sd: string) => sd.split('~').slice(1, -1);

  it('presents only the chosen control’s result, while subject, profile and verdict stay visible', async () => {
    const res = await createRaw({ reveal: [`/results/${CONTROL}`], expires_at: inDays(30), label: 'Globex procurement' });
    expect(res.status, await res.clone().text()).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const share = (await res.json()) as CreatedShare;
    expect(share).toMatchObject({
      attestation_id: attestation,
      label: 'Globex procurement',
      reveal: [`/results/${CONTROL}`],
      format: 'dc+sd-jwt',
      state: 'active',
      view_count: 0,
      last_viewed_at: null,
      revoked_at: null,
      url: `${ORIGIN}/s/${share.token}`,
      badge: { svg: `${ORIGIN}/s/${share.token}/badge.svg`, json: `${ORIGIN}/s/${share.token}/badge.json` },
    });
    expect(share.id).toMatch(UUID);
    expect(res.headers.get('location')).toBe(`/v1/t/vendor/attestations/${attestation}/shares/${share.id}`);

    const credential = await presented(share.token);
    // The same issuer-signed JWT, with a strict subset of the disclosures.
    expect(credential.split('~')[0]).toBe(sdJwt.split('~')[0]);
    const shown = disclosures(credential);
    const hidden = disclosures(sdJwt).filter((d) => !shown.includes(d));
    expect(shown.length).toBeGreaterThan(0);
    expect(hidden.length).toBeGreaterThan(shown.length);

    const r = await verify(credential);
    expect({ verified: r.verified, format: r.format, status: r.status?.value }).toEqual({
      verified: true,
      format: 'dc+sd-jwt',
      status: 'valid',
    });
    const claims = r.claims!;
    expect(Object.keys(claims.results as object)).toEqual([CONTROL]);
    expect(claims).toMatchObject({
      subject: { organisation: 'Acme Corp', product: 'Acme Cloud' },
      profile: { id: 'production-readiness-review', version: '1.0.0' },
      verdict: { stage: 'scale_ready', strict_gate_passed: true },
    });

    // The page holds the presentation, and none of what was left out.
    const page = await h.request('GET', `/s/${share.token}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(credential);
    for (const d of hidden) expect(html).not.toContain(d);
    // The profile names every control; only the chosen one's result and evidence are on the page.
    expect(html).toContain(`https://evidence.acme.example/${CONTROL}/0.json`);
    expect(html).not.toContain('https://evidence.acme.example/security.production_secrets/');
    expect(html).toMatch(/Not disclosed by the vendor:<\/span>[^<]*<span class="small">\(security\.production_secrets\)/);
  });

  it('makes a token of at least 128 random bits and stores only its hash', async () => {
    const tokens = await Promise.all([create(), create()]);
    for (const { token, id } of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(token, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
      const [row] = await allTenants(t.db, (tx) =>
        tx.query<{ token_hash: string; row: string }>('select token_hash, to_jsonb(s)::text as row from shares s where id = $1', [id]),
      );
      expect(row!.token_hash).toBe(createHash('sha256').update(token).digest('base64url'));
      expect(row!.row).not.toContain(token);
      // Nowhere else either: not in the audit trail, not in the log.
      expect(JSON.stringify(await tenantState(t.db, 'vendor'))).not.toContain(token);
    }
    expect(tokens[0].token).not.toBe(tokens[1].token);
    expect(h.logLines.join('\n')).not.toContain(tokens[0].token);
    // A token one character off opens nothing.
    const near = `${tokens[0].token.slice(0, -1)}${tokens[0].token.endsWith('A') ? 'B' : 'A'}`;
    expect(await openShare(t.db, near, h.clock(), { countView: false })).toBeUndefined();
    expect((await h.request('GET', `/s/${near}`)).status).toBe(404);
  });

  it('keeps the token out of the access log when the page and the badge are opened: a share link is a bearer secret', async () => {
    const { token } = await create();
    for (const path of [`/s/${token}`, `/s/${token}/badge.svg`, `/s/${token}/badge.json`])
      expect((await h.request('GET', path)).status).toBe(200);
    const lines = h.logLines.filter((l) => l.includes('"msg":"request"') && l.includes('/s/'));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(h.logLines.join('\n')).not.toContain(token);
    expect(lines.some((l) => l.includes('"path":"/s/[redacted]/badge.svg"'))).toBe(true);
  });

  it('counts views of the page and remembers the last, but not badge fetches', async () => {
    const share = await create();
    expect((await h.request('GET', `/s/${share.token}`)).status).toBe(200);
    h.clock.set(new Date(h.clock().getTime() + 3_600_000));
    const lastView = h.clock().toISOString();
    expect((await h.request('GET', `/s/${share.token}`)).status).toBe(200);
    h.clock.set(new Date(h.clock().getTime() + 3_600_000));
    expect((await h.request('GET', path(share.badge.svg))).status).toBe(200);
    expect((await h.request('GET', path(share.badge.json))).status).toBe(200);
    // A HEAD (a link preview, a mail scanner checking the link) is not someone reading the page.
    const head = await h.request('HEAD', `/s/${share.token}`);
    expect(head.status).toBe(200);
    // A share page is meant for the people it was sent to, not for search engines.
    expect(head.headers.get('x-robots-tag')).toBe('noindex, nofollow');

    const listed = (await list()).find((s) => s.id === share.id)!;
    expect(listed).toMatchObject({ view_count: 2, last_viewed_at: lastView, state: 'active' });
    // Never the token, to anyone, afterwards: an auditor reads the list too.
    const auditor = (await createApiKey({ db: t.db, now: h.clock(), actor: 'test' }, { tenantId: 'vendor', roles: ['auditor'] })).token;
    const text = JSON.stringify(await list(attestation, 'vendor', auditor));
    expect(text).toContain(share.id);
    expect(text).not.toContain(share.token);
    await expectProblem(await deleteShare(share.id, attestation, 'vendor', auditor), 403, 'forbidden');
  });

  it('answers a withdrawn link with a plain 410 page showing none of the attestation, and its badge with 410', async () => {
    const share = await create({ label: 'Initech security review' });
    const credential = await presented(share.token);
    const before = (
      (await (await h.request('GET', `/v1/t/vendor/attestations/${attestation}`, { token: h.adminToken })).json()) as {
        active_shares: number;
      }
    ).active_shares;

    const res = await deleteShare(share.id);
    expect(res.status, await res.clone().text()).toBe(200);
    const withdrawn = (await res.json()) as Share;
    expect(withdrawn).toMatchObject({ id: share.id, state: 'revoked', revoked_at: h.clock().toISOString() });

    const page = await h.request('GET', `/s/${share.token}`);
    expect(page.status).toBe(410);
    const html = await page.text();
    expect(html).toMatch(/withdrawn/i);
    for (const secret of [credential.split('~')[0]!, 'Acme Corp', 'Initech security review', CONTROL, 'scale_ready'])
      expect(html).not.toContain(secret);
    for (const url of [share.badge.svg, share.badge.json]) await expectProblem(await h.request('GET', path(url)), 410, 'share_gone');
    expect(await openShare(t.db, share.token, h.clock(), { countView: false })).toEqual({ kind: 'gone', why: 'revoked' });

    // Withdrawing again changes nothing; the list and the attestation say it is gone.
    const again = await deleteShare(share.id);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ state: 'revoked', revoked_at: withdrawn.revoked_at });
    expect((await list()).find((s) => s.id === share.id)).toMatchObject({ state: 'revoked', view_count: 0 });
    const after = (
      (await (await h.request('GET', `/v1/t/vendor/attestations/${attestation}`, { token: h.adminToken })).json()) as {
        active_shares: number;
      }
    ).active_shares;
    expect(after).toBe(before - 1);
    await expectProblem(await deleteShare(crypto.randomUUID()), 404, 'share_not_found');
    // A share is withdrawn through its own attestation only.
    const other = (await issue('vendor', ['vc+jwt'])).attestation_id;
    const live = await create();
    await expectProblem(await deleteShare(live.id, other), 404, 'share_not_found');
    expect((await list()).find((s) => s.id === live.id)!.state).toBe('active');
    await expectProblem(await deleteShare('not-a-share'), 404, 'share_not_found');
  });

  it('answers an expired link with a plain 410, once the clock passes its expiry', async () => {
    const share = await create({ expires_at: inDays(1) });
    expect((await h.request('GET', `/s/${share.token}`)).status).toBe(200);
    const start = h.clock();
    h.clock.advanceDays(2);
    try {
      const page = await h.request('GET', `/s/${share.token}`);
      expect(page.status).toBe(410);
      const html = await page.text();
      expect(html).toMatch(/expired/i);
      expect(html).not.toContain('Acme Corp');
      await expectProblem(await h.request('GET', path(share.badge.svg)), 410, 'share_gone');
      expect((await list()).find((s) => s.id === share.id)).toMatchObject({ state: 'expired', view_count: 1 });
    } finally {
      h.clock.set(start);
    }
  });

  it('refuses what cannot be shared: a claim that is not disclosable (422 at /reveal), a past or too distant expiry (400), storing nothing', async () => {
    const vcOnly = (await issue('vendor', ['vc+jwt'])).attestation_id;
    const before = await tenantState(t.db, 'vendor');
    const at = async (res: Response, status: number, code: string) =>
      (await expectProblem(res, status, code)).errors?.map((e) => e.pointer);

    expect(await at(await createRaw({ reveal: ['/verdict'], expires_at: inDays(30) }), 422, 'share_not_presentable')).toEqual(['/reveal']);
    expect(
      await at(await createRaw({ reveal: ['/results/no.such.control'], expires_at: inDays(30) }), 422, 'share_not_presentable'),
    ).toEqual(['/reveal']);
    // Without an SD-JWT VC nothing can be hidden, so nothing may be chosen.
    expect(
      await at(await createRaw({ reveal: [`/results/${CONTROL}`], expires_at: inDays(30) }, vcOnly), 422, 'share_not_presentable'),
    ).toEqual(['/reveal']);
    expect(await at(await createRaw({ reveal: ['results'], expires_at: inDays(30) }), 400, 'invalid_request')).toEqual(['/reveal/0']);
    expect(await at(await createRaw({ reveal: [], expires_at: inDays(-1) }), 400, 'invalid_request')).toEqual(['/expires_at']);
    expect(await at(await createRaw({ reveal: [], expires_at: h.clock().toISOString() }), 400, 'invalid_request')).toEqual(['/expires_at']);
    expect(await at(await createRaw({ reveal: [], expires_at: inDays(400) }), 400, 'invalid_request')).toEqual(['/expires_at']);
    expect(await at(await createRaw({ reveal: [], expires_at: 'tomorrow' }), 400, 'invalid_request')).toEqual(['/expires_at']);
    expect(await at(await createRaw({ reveal: [] }), 400, 'invalid_request')).toEqual(['/expires_at']);
    await expectProblem(await createRaw({ reveal: [], expires_at: inDays(30) }, crypto.randomUUID()), 404, 'attestation_not_found');
    expect(await tenantState(t.db, 'vendor')).toEqual(before);

    // Shared whole, a VC-JWT is what the buyer verifies.
    const whole = await create({ reveal: [] }, vcOnly);
    expect(whole.format).toBe('vc+jwt');
    const r = await verify(await presented(whole.token));
    expect({ verified: r.verified, format: r.format }).toEqual({ verified: true, format: 'vc+jwt' });
  });

  it('lets no other tenant list, withdraw or share a tenant’s links, and answers as for an unknown attestation', async () => {
    const share = await create();
    const rival = (await createApiKey({ db: t.db, now: h.clock(), actor: 'test' }, { tenantId: 'rival', roles: ['issuer', 'auditor'] }))
      .token;
    const before = await tenantState(t.db, 'vendor');

    // On the vendor's own paths the rival's key is refused outright.
    await expectProblem(await h.request('GET', `/v1/t/vendor/attestations/${attestation}/shares`, { token: rival }), 403, 'forbidden');
    await expectProblem(await deleteShare(share.id, attestation, 'vendor', rival), 403, 'forbidden');
    await expectProblem(await createRaw({ reveal: [], expires_at: inDays(30) }, attestation, 'vendor', rival), 403, 'forbidden');
    // Naming the vendor's ids under its own tenant finds nothing there.
    await expectProblem(
      await h.request('GET', `/v1/t/rival/attestations/${attestation}/shares`, { token: rival }),
      404,
      'attestation_not_found',
    );
    await expectProblem(await deleteShare(share.id, attestation, 'rival', rival), 404, 'share_not_found');
    await expectProblem(await createRaw({ reveal: [], expires_at: inDays(30) }, attestation, 'rival', rival), 404, 'attestation_not_found');

    expect(await tenantState(t.db, 'vendor')).toEqual(before);
    expect((await list()).find((s) => s.id === share.id)!.state).toBe('active');
    expect((await h.request('GET', `/s/${share.token}`)).status).toBe(200);
  });

  it('shares an SD-JWT VC bound to a holder key as one the buyer can verify without the holder', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const res = await h.request('POST', '/v1/t/vendor/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['dc+sd-jwt'], holder: { jwk: await exportJWK(publicKey) } },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const bound = ((await res.json()) as { attestation_id: string }).attestation_id;
    const share = await create({}, bound);
    const r = await verify(await presented(share.token));
    expect({ verified: r.verified, status: r.status?.value }).toEqual({ verified: true, status: 'valid' });
    expect(Object.keys(r.claims!.results as object)).toEqual([CONTROL]);
  });

  describe('the live badge', () => {
    it('says valid, then revoked once the attestation is revoked, cached for at most 300 s, with the shields.io JSON beside it', async () => {
      const own = (await issue('vendor', ['dc+sd-jwt'])).attestation_id;
      const share = await create({}, own);
      const maxAge = (res: Response) => Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1]);

      const svg = await h.request('GET', path(share.badge.svg));
      expect(svg.status).toBe(200);
      expect(svg.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
      expect(maxAge(svg)).toBeGreaterThan(0);
      expect(maxAge(svg)).toBeLessThanOrEqual(300);
      const drawn = await svg.text();
      expect(drawn).toMatch(/^(<\?xml[^>]*>\s*)?<svg[\s>]/);
      expect(drawn).toContain('launch readiness');
      expect(drawn).toContain('scale_ready · valid');
      expect(drawn).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)(?!issuer\.test)/);

      const json = await h.request('GET', path(share.badge.json));
      expect(json.status).toBe(200);
      expect(json.headers.get('content-type')).toMatch(/^application\/json/);
      expect(maxAge(json)).toBeLessThanOrEqual(300);
      const endpoint = (await json.json()) as Record<string, unknown>;
      expect(endpoint).toEqual({
        schemaVersion: 1,
        label: 'launch readiness',
        message: 'scale_ready · valid',
        color: expect.stringMatching(/^#[0-9a-f]{6}$/),
        cacheSeconds: expect.any(Number),
      });
      expect(endpoint.cacheSeconds as number).toBeLessThanOrEqual(300);

      const patched = await h.request('PATCH', `/v1/t/vendor/attestations/${own}/status`, {
        token: h.adminToken,
        body: { status: 'revoked', reason: 'withdrawn' },
      });
      expect(patched.status).toBe(200);
      const revokedSvg = await (await h.request('GET', path(share.badge.svg))).text();
      expect(revokedSvg).toContain('scale_ready · revoked');
      expect(revokedSvg).not.toContain('· valid');
      const revokedJson = (await (await h.request('GET', path(share.badge.json))).json()) as { message: string; color: string };
      expect(revokedJson.message).toBe('scale_ready · revoked');
      expect(revokedJson.color).not.toBe(endpoint.color);

      // A withdrawn share has no badge, and an unknown token never had one.
      expect((await deleteShare(share.id, own)).status).toBe(200);
      for (const url of [share.badge.svg, share.badge.json]) await expectProblem(await h.request('GET', path(url)), 410, 'share_gone');
      await expectProblem(await h.request('GET', `/s/${'A'.repeat(43)}/badge.svg`), 404, 'share_not_found');
    });

    it('says superseded once a newer attestation replaces the shared one, and suspended while suspended', async () => {
      const older = (await issue('vendor', ['dc+sd-jwt'])).attestation_id;
      const share = await create({}, older);
      const message = async () => ((await (await h.request('GET', path(share.badge.json))).json()) as { message: string }).message;
      expect(await message()).toBe('scale_ready · valid');

      const suspend = await h.request('PATCH', `/v1/t/vendor/attestations/${older}/status`, {
        token: h.adminToken,
        body: { status: 'suspended', reason: 'review' },
      });
      expect(suspend.status).toBe(200);
      expect(await message()).toBe('scale_ready · suspended');
      expect(
        (
          await h.request('PATCH', `/v1/t/vendor/attestations/${older}/status`, {
            token: h.adminToken,
            body: { status: 'valid', reason: 'ok' },
          })
        ).status,
      ).toBe(200);

      const res = await h.request('POST', '/v1/t/vendor/attestations', {
        token: h.adminToken,
        body: { assessment: readinessAssessment(), formats: ['vc+jwt'], supersedes: older },
      });
      expect(res.status, await res.clone().text()).toBe(201);
      expect(await message()).toBe('scale_ready · superseded');
      expect(await (await h.request('GET', path(share.badge.svg))).text()).toContain('scale_ready · superseded');
    });
  });
});
