import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBuiltinProfile } from '../../src/readiness/registry.ts';
import { issueUnderOwnProfile } from '../http/helpers.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import {
  credentialOf,
  FORMATS,
  issueAttestation,
  postForm,
  reportHooks,
  tamperSignature,
  visibleText,
  type IssuedAttestation,
} from './support.ts';

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const profile = findBuiltinProfile('production-readiness-review', '1.0.0')!;
const controls = profile.sections.flatMap((s) => s.controls);

describe('the buyer’s pages, rendered on the server', () => {
  let t: TestDatabase;
  let h: Harness;
  let issued: IssuedAttestation;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme Corp' } })).status).toBe(201);
    issued = await issueAttestation(h, 'acme', { failing: ['security.csp_hsts'] });
  });
  afterAll(() => t.dispose());

  it.each(FORMATS)('reports a valid %s credential in plain language: issuer, subject, profile, stage and every control', async (format) => {
    const res = await postForm(h, { credential: credentialOf(issued, format).credential });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    expect(reportHooks(page)).toEqual({ verdict: 'verified', status: 'valid', failedCheck: undefined });
    const text = visibleText(page);
    expect(text).toContain('Verified');
    expect(text).toMatch(/Who issued it Organisation Acme Corp Web domain issuer\.test/);
    expect(text).toContain('Acme Cloud');
    expect(text).toContain('https://app.acme.example');
    expect(text).toContain('Production readiness review, production-readiness-review version 1.0.0');
    expect(page).toContain('href="/profiles/production-readiness-review/1.0.0"');
    expect(text).toMatch(/Stage reached Production-grade/);
    expect(text).toMatch(/Strict gate Passed/);
    const cspHsts = controls.find((c) => c.id === 'security.csp_hsts')!;
    expect(text).toContain(
      `Enforced CSP and HSTS (security.csp_hsts): failed, which holds back Scale-ready (scale_ready). ${cspHsts.ifMissing}`,
    );
    for (const c of controls) {
      const outcome = c.id === 'security.csp_hsts' ? 'Failed' : 'Passed';
      expect(text).toContain(`${outcome}: ${c.title} (${c.id})`);
    }
    expect(text).toContain('Passed: Outbound webhook URL safety');
    expect(text).toContain('https://evidence.acme.example/security.ssrf/0.json');
    expect(text).toContain('sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=');
    expect(text).toContain('Checked on this service’s server');
  });

  it.each(FORMATS)('names the failed check in words for a tampered %s credential, with the code beside it', async (format) => {
    const res = await postForm(h, { credential: tamperSignature(credentialOf(issued, format).credential) });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(reportHooks(page)).toMatchObject({ verdict: 'not-verified', failedCheck: 'signature' });
    const text = visibleText(page);
    expect(text).toContain('Not verified');
    expect(text).toContain('Failed check: Signature. The signature does not match: the credential was altered after the issuer signed it');
    expect(text).toContain('signature: bad_signature');
    expect(text).toContain('Who it claims issued it Not confirmed: the signature was not verified');
  });

  it('gives the same verdict without JavaScript as POST /v1/verify, for every format and for broken input', async () => {
    const inputs = [
      ...FORMATS.map((f) => credentialOf(issued, f).credential),
      ...FORMATS.map((f) => tamperSignature(credentialOf(issued, f).credential)),
      'not a credential at all',
      `${credentialOf(issued, 'dc+sd-jwt').credential}WyJzYWx0IiwiZXh0cmEiLCJ4Il0~`,
    ];
    for (const credential of inputs) {
      const api = (await (await h.request('POST', '/v1/verify', { body: { credential } })).json()) as {
        verified: boolean;
        checks: { name: string; ok: boolean }[];
      };
      const hooks = reportHooks(await (await postForm(h, { credential })).text());
      expect(hooks.verdict).toBe(api.verified ? 'verified' : 'not-verified');
      expect(hooks.failedCheck).toBe(api.checks.find((c) => !c.ok)?.name);
    }
  });

  it('reads a pasted VC-API envelope as /v1/verify reads it', async () => {
    const envelope = {
      '@context': 'https://www.w3.org/ns/credentials/v2',
      id: `data:application/vc+jwt,${credentialOf(issued, 'vc+jwt').credential}`,
      type: 'EnvelopedVerifiableCredential',
    };
    const page = await (await postForm(h, { credential: JSON.stringify(envelope, null, 2) })).text();
    expect(reportHooks(page)).toEqual({ verdict: 'verified', status: 'valid', failedCheck: undefined });
    expect(page).toContain('&quot;type&quot;: &quot;EnvelopedVerifiableCredential&quot;\n}</textarea>');
  });

  it('shows a suspension and then a revocation with its date and published reason, for every format at once', async () => {
    const other = await issueAttestation(h, 'acme');
    const change = async (status: string, publicReason: string) => {
      h.clock.advanceDays(1);
      const res = await h.request('PATCH', `/v1/t/acme/attestations/${other.attestation_id}/status`, {
        token: h.adminToken,
        body: { status, reason: `internal note: ${status}`, public_reason: publicReason },
      });
      expect(res.status, await res.clone().text()).toBe(200);
    };
    await change('suspended', 'Evidence under review');
    for (const format of FORMATS) {
      const page = await (await postForm(h, { credential: credentialOf(other, format).credential })).text();
      expect(reportHooks(page)).toEqual({ verdict: 'not-verified', status: 'suspended', failedCheck: 'status' });
      const text = visibleText(page);
      expect(text).toContain('Suspended since 2 January 2026, 00:00 UTC');
      expect(text).toContain('Reason published by the issuer: Evidence under review');
      expect(text).not.toContain('internal note');
    }
    await change('revoked', 'Launch postponed');
    for (const format of FORMATS) {
      const page = await (await postForm(h, { credential: credentialOf(other, format).credential })).text();
      expect(reportHooks(page)).toEqual({ verdict: 'not-verified', status: 'revoked', failedCheck: 'status' });
      const text = visibleText(page);
      expect(text).toContain('Revoked since 3 January 2026, 00:00 UTC');
      expect(text).toContain('The issuer has revoked this attestation');
      expect(text).toContain('Reason published by the issuer: Launch postponed');
    }
  });

  it('says an attestation replaced by a newer one is superseded, naming the newer one and when it was issued', async () => {
    const older = await issueAttestation(h, 'acme');
    h.clock.advanceDays(1);
    const newer = await issueAttestation(h, 'acme', { supersedes: older.attestation_id });
    for (const format of FORMATS) {
      const page = await (await postForm(h, { credential: credentialOf(older, format).credential })).text();
      expect(reportHooks(page)).toEqual({ verdict: 'verified', status: 'superseded', failedCheck: undefined });
      expect(visibleText(page)).toMatch(
        new RegExp(`Superseded by attestation ${newer.attestation_id} issued \\d+ January 2026, 00:00 UTC`),
      );
      const current = await (await postForm(h, { credential: credentialOf(newer, format).credential })).text();
      expect(reportHooks(current).status).toBe('valid');
    }
  });

  it('titles a tenant’s own profile from this deployment’s records, and links only built-in profiles', async () => {
    const { credentials } = await issueUnderOwnProfile(h, 'acme', { id: 'acme-launch', version: '1.0.0' }, ['vc+jwt']);
    const page = await (await postForm(h, { credential: credentials[0]!.credential })).text();
    expect(reportHooks(page).verdict).toBe('verified');
    const text = visibleText(page);
    expect(text).toContain('Profile acme-launch, acme-launch version 1.0.0');
    expect(text).toContain('Stage reached Ready (ready)');
    expect(text).toContain('Passed: The only control (core.only)');
    expect(page).not.toContain('href="/profiles/acme-launch');
  });

  it('shows every value from a credential as text: a subject holding markup cannot script the page', async () => {
    const hostile = await issueAttestation(h, 'acme', {
      subject: { organisation: '<script>alert(1)</script>', product: 'Widget" onmouseover="alert(2)' },
    });
    for (const format of FORMATS) {
      const page = await (await postForm(h, { credential: credentialOf(hostile, format).credential })).text();
      expect(reportHooks(page).verdict).toBe('verified');
      expect(page).not.toContain('<script>alert(1)');
      expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page).not.toMatch(/<[^>]*\sonmouseover=/i);
      expect(page).toContain('Widget&quot; onmouseover=&quot;alert(2)');
    }
  });

  it('answers an empty form with a 400 page that says what to do, never a 5xx', async () => {
    for (const fields of [{ credential: '' }, { credential: '   ' }, {} as Record<string, string>]) {
      const res = await postForm(h, fields);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const text = visibleText(await res.text());
      expect(text).toContain('There was nothing to verify. Paste the credential’s text into the box, then press Verify.');
    }
  });

  it('answers a body that is not a form, or too large, with an HTML error page carrying the problem code', async () => {
    const json = await h.request('POST', '/verify', { body: { credential: 'x' } });
    expect(json.status).toBe(415);
    expect(json.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(visibleText(await json.text())).toContain('Error code unsupported_media_type');
    const huge = await postForm(h, { credential: 'a'.repeat(h.config.bodyLimitBytes + 10) });
    expect(huge.status).toBe(413);
    const text = await huge.text();
    expect(visibleText(text)).toContain('Error code payload_too_large');
    expect(text).not.toMatch(/\n\s+at |\.ts:\d+/);
  });

  it('serves the home and verification pages: what this is, the form, the script, and the stylesheet', async () => {
    const home = await h.request('GET', '/');
    expect(home.status).toBe(200);
    expect(home.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    const homeText = await home.text();
    expect(homeText).toContain('href="/verify"');
    expect(homeText).toContain('href="/profiles"');
    const verify = await h.request('GET', '/verify');
    const page = await verify.text();
    expect(page).toContain('<form id="verify-form" class="verify-form" method="post" action="/verify">');
    expect(page).toContain('<textarea id="credential" name="credential"');
    expect(page).toContain('<input type="file" id="credential-file"');
    expect(page).toContain('<div id="report" aria-live="polite">');
    expect(page).toMatch(/<p id="how-verified">[^<]*browser[^<]*<\/p>/);
    expect(page).toContain('<script src="/assets/verify.js" defer></script>');
    const css = await h.request('GET', '/assets/site.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('@media print');
  });

  it('sends the page CSP with every page, and no page carries inline script, inline style or event attributes', async () => {
    const pages: [string, Response][] = [
      ['home', await h.request('GET', '/')],
      ['verify', await h.request('GET', '/verify')],
      ['report', await postForm(h, { credential: credentialOf(issued, 'dc+sd-jwt').credential })],
      ['failed report', await postForm(h, { credential: 'garbage' })],
      ['empty form', await postForm(h, { credential: '' })],
      ['unknown page', await h.request('GET', '/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')],
    ];
    for (const [name, res] of pages) {
      expect(res.headers.get('content-security-policy'), name).toBe(PAGE_CSP);
      expect(res.headers.get('x-content-type-options'), name).toBe('nosniff');
      const page = await res.text();
      expect(page, name).toMatch(/^<!doctype html>\n<html lang="en">/);
      expect(page.match(/<h1[ >]/g), name).toHaveLength(1);
      for (const tag of page.match(/<script\b[^>]*>/g) ?? []) expect(tag, name).toBe('<script src="/assets/verify.js" defer>');
      expect(page, name).not.toMatch(/<script>|<style|\sstyle=|\son[a-z]+=/i);
    }
  });
});
