/**
 * The offline verifier: one HTML file holding the trust bundle and the browser build, allowed to
 * run only its own script and style (by hash), that verifies with no network at all. The file's
 * own script is run here against a minimal DOM; Chromium opens it from file:// in test/browser.
 */
import { createHash } from 'node:crypto';
import { gzipSync, gunzipSync } from 'node:zlib';
import { base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.ts';
import { createJsonLogger } from '../../src/log/logger.ts';
import { renderOfflineVerifier } from '../../src/pages/offline-verifier.ts';
import { trustBundleDigest } from '../../src/verify/bundle-digest.ts';
import { expectProblem } from '../http/helpers.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { fixedClock, harness, ORIGIN, testWebAssets, type Harness } from '../support/harness.ts';
import { runBundle, stubPage } from './dom-stub.ts';
import { appFetch, issueAll, type Issued } from './support.ts';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
const between = (html: string, open: string, close: string) => {
  const start = html.indexOf(open);
  expect(start, `${open} in the file`).toBeGreaterThanOrEqual(0);
  return html.slice(start + open.length, html.indexOf(close, start + open.length));
};
const noFetch = Object.assign(
  async (url: string): Promise<Response> => {
    noFetch.calls.push(url);
    throw new Error('the offline verifier fetched');
  },
  { calls: [] as string[] },
);

describe('the offline verifier', () => {
  let t: TestDatabase;
  let h: Harness;
  let valid: Issued;
  let revoked: Issued;
  let bundleText: string;
  let file: Response;
  let html: string;

  beforeAll(async () => {
    t = await freshPglite();
    // A minute ago: the file judges with the real clock, as an auditor's browser does.
    h = await harness(t.db, { clock: fixedClock(new Date(Date.now() - 60_000)) });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme Corp' } })).status).toBe(201);
    valid = await issueAll(h, 'acme');
    revoked = await issueAll(h, 'acme');
    await h.request('PATCH', `/v1/t/acme/attestations/${revoked.attestation}/status`, {
      token: h.adminToken,
      body: { status: 'revoked', reason: 'test', public_reason: 'the launch was withdrawn' },
    });
    bundleText = await (await h.request('GET', '/t/acme/trust-bundle.json')).text();
    file = await h.request('GET', '/t/acme/verifier.html');
    html = await file.clone().text();
  });
  afterAll(() => t.dispose());

  it('downloads as one file named for the tenant, with its policy as a header too', () => {
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(file.headers.get('content-disposition')).toBe('attachment; filename="acme-verifier.html"');
    const meta = between(html, '<meta http-equiv="Content-Security-Policy" content="', '"');
    expect(file.headers.get('content-security-policy')).toBe(meta);
  });

  it('allows exactly its own script and stylesheet, by hashes that match them, and nothing else at all', () => {
    const csp = between(html, '<meta http-equiv="Content-Security-Policy" content="', '"');
    const script = between(html, '<script>', '</script>');
    const style = between(html, '<style>', '</style>');
    expect(csp).toBe(
      `default-src 'none'; script-src ${sha256(script)}; style-src ${sha256(style)}; img-src data:; base-uri 'none'; form-action 'none'`,
    );
    expect(script).toBe(testWebAssets().verifyScript);
    // One executable script, one data block, one style element; nothing loaded from anywhere.
    expect(html.match(/<script[\s>]/g)).toHaveLength(2);
    expect(html.match(/<style[\s>]/g)).toHaveLength(1);
    expect(html).not.toMatch(/<link\b|\ssrc=|\sstyle=|\son[a-z]+=/i);
  });

  it('holds the trust bundle byte for byte as /t/{tenant}/trust-bundle.json serves it', async () => {
    const embedded = between(html, '<script type="application/json" id="trust-bundle">', '</script>');
    expect(embedded).toBe(bundleText);
    expect(await trustBundleDigest(embedded)).toBe(`sha256:${createHash('sha256').update(bundleText).digest('hex')}`);
  });

  it('verifies a valid credential with its own script and no network, and shows the bundle to compare', async () => {
    const page = stubPage(valid.byFormat['vc+jwt'], bundleText);
    await runBundle(between(html, '<script>', '</script>'), page, { origin: 'null', fetch: noFetch as never });
    expect(noFetch.calls).toEqual([]);
    expect(page.report.innerHTML).toContain('data-verdict="verified"');
    expect(page.report.heading.focused).toBe(true);
    expect(page.howVerified.textContent).toMatch(
      /^Verified in this file, offline, with the trust bundle it holds \(did:web:issuer\.test:t:acme,/,
    );
    const signed = JSON.parse(bundleText) as { payload: string; protected: string };
    const made = (JSON.parse(new TextDecoder().decode(base64url.decode(signed.payload))) as { generated_at: string }).generated_at;
    const kid = (JSON.parse(new TextDecoder().decode(base64url.decode(signed.protected))) as { kid: string }).kid.split('#')[1];
    expect(Object.fromEntries(Object.entries(page.bundleFacts.children).map(([k, v]) => [k, v.textContent]))).toEqual({
      did: 'did:web:issuer.test:t:acme',
      kid,
      digest: await trustBundleDigest(bundleText),
      generatedAt: made,
    });
  });

  it.each([
    ['revoked', () => revoked.byFormat['dc+sd-jwt'], 'data-status="revoked"'],
    ['tampered', () => valid.byFormat['jwt_vc_json'].replace(/.{4}$/, 'AAAA'), 'data-failed-check="signature"'],
  ])('refuses a %s credential, still with no network', async (_what, credential, mark) => {
    const page = stubPage(credential(), bundleText);
    await runBundle(between(html, '<script>', '</script>'), page, { origin: 'null', fetch: noFetch as never });
    expect(noFetch.calls).toEqual([]);
    expect(page.report.innerHTML).toContain('data-verdict="not-verified"');
    expect(page.report.innerHTML).toContain(mark);
  });

  it.each([
    ['re-dated after signing', 'bad_bundle_signature'],
    ['not JSON', 'malformed_bundle'],
  ])('says a bundle %s cannot be used, and why, and verifies nothing with it', async (what, code) => {
    let text = 'not a bundle';
    if (what.startsWith('re-dated')) {
      const signed = JSON.parse(bundleText) as { payload: string };
      const payload = JSON.parse(new TextDecoder().decode(base64url.decode(signed.payload))) as { generated_at: string };
      text = JSON.stringify({ ...signed, payload: base64url.encode(JSON.stringify({ ...payload, generated_at: '2030-01-01T00:00:00Z' })) });
    }
    const { html: bad } = await renderOfflineVerifier({ bundleText: text, script: testWebAssets().verifyScript });
    const page = stubPage(valid.byFormat['vc+jwt'], between(bad, '<script type="application/json" id="trust-bundle">', '</script>'));
    await runBundle(between(bad, '<script>', '</script>'), page, { origin: 'null', fetch: noFetch as never });
    expect(page.report.innerHTML).toContain('data-outcome="bundle_unusable"');
    expect(page.report.innerHTML).toContain(code);
    expect(page.report.innerHTML).not.toContain('data-verdict');
  });

  it('cannot be broken out of: markup in the bundle stays inside its data block, code that would end its element is refused', async () => {
    const hostile = '{"protected":"</script><script>alert(1)</script><!--"}';
    const { html: out } = await renderOfflineVerifier({ bundleText: hostile, script: 'void 0' });
    expect(between(out, '<script type="application/json" id="trust-bundle">', '</script>')).toBe(hostile.replace(/</g, '\\u003c'));
    await expect(renderOfflineVerifier({ bundleText, script: 'x = "</script>"' })).rejects.toThrow(TypeError);
    await expect(renderOfflineVerifier({ bundleText, script: 'void 0', css: 'a{}</style>' })).rejects.toThrow(TypeError);
  });
});

describe('/assets/verify.js', () => {
  let t: TestDatabase;
  let h: Harness;
  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db, { clock: fixedClock(new Date(Date.now() - 60_000)) });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme Corp' } })).status).toBe(201);
  });
  afterAll(() => t.dispose());

  it('serves the browser build, cacheable for five minutes and revalidated by a strong ETag', async () => {
    const res = await h.request('GET', '/assets/verify.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(await res.text()).toBe(testWebAssets().verifyScript);
    const again = await h.request('GET', '/assets/verify.js', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
  });

  it('sends it gzipped to a browser that accepts gzip (about a third of the bytes), with its own ETag and Vary', async () => {
    const res = await h.request('GET', '/assets/verify.js', { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('vary')).toMatch(/accept-encoding/i);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(gunzipSync(body).toString('utf8')).toBe(testWebAssets().verifyScript);
    expect(body.length).toBeLessThan(testWebAssets().verifyScript.length / 2);
    const plain = await h.request('GET', '/assets/verify.js');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('vary')).toMatch(/accept-encoding/i);
    // A strong validator names one representation: the gzipped bytes have an ETag of their own.
    expect(res.headers.get('etag')).not.toBe(plain.headers.get('etag'));
    const again = await h.request('GET', '/assets/verify.js', {
      headers: { 'accept-encoding': 'gzip', 'if-none-match': res.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
    const refused = await h.request('GET', '/assets/verify.js', { headers: { 'accept-encoding': 'gzip;q=0, identity' } });
    expect(refused.headers.get('content-encoding')).toBeNull();
  });

  // The build itself refuses server code (src/runtime/node/web-assets.ts); this keeps its size honest.
  it('stays small: under 150 KB gzipped', () => {
    expect(gzipSync(testWebAssets().verifyScript).length).toBeLessThan(150_000);
  });

  it('runs in a page: verifies an issued credential against the site, reading only from it', async () => {
    const issued = await issueAll(h, 'acme');
    const fetch = appFetch(h);
    const page = stubPage(issued.byFormat['dc+sd-jwt']);
    await runBundle(testWebAssets().verifyScript, page, { origin: ORIGIN, fetch: fetch as never });
    expect(page.report.innerHTML).toContain('data-verdict="verified"');
    expect(page.howVerified.textContent).toBe("Verified in your browser, with Acme Corp's trust bundle and live status lists.");
    expect(fetch.urls.length).toBeGreaterThan(1);
    for (const url of fetch.urls) expect(new URL(url).origin).toBe(ORIGIN);
  });

  it('a deployment built without it answers 404 problems, for the script and the offline verifier alike', async () => {
    const bare = createApp({
      config: h.config,
      kek: h.kek,
      clock: h.clock,
      log: createJsonLogger('error', () => {}),
      fetch: () => Promise.reject(new Error('no network')),
    });
    for (const path of ['/assets/verify.js', '/t/acme/verifier.html'])
      await expectProblem(await bare.fetch(new Request(`${ORIGIN}${path}`), h.bindings), 404, 'not_found');
  });
});
