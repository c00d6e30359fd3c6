import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import type { Database } from '../../src/store/port.ts';
import { harness, ORIGIN, type Harness } from '../support/harness.ts';
import { issueAttestation, reportHooks, visibleText, type IssuedAttestation } from './support.ts';

interface Share {
  id: string;
  url: string;
  token?: string;
}

describe('share pages', () => {
  let t: TestDatabase;
  let h: Harness;
  let issued: IssuedAttestation;

  const share = async (body: Record<string, unknown>) => {
    const res = await h.request('POST', `/v1/t/acme/attestations/${issued.attestation_id}/shares`, {
      token: h.adminToken,
      body: { expires_at: new Date(h.clock().getTime() + 7 * 86_400_000).toISOString(), ...body },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const created = (await res.json()) as Share;
    return { ...created, path: new URL(created.url).pathname };
  };

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme Corp' } })).status).toBe(201);
    issued = await issueAttestation(h, 'acme', { failing: ['security.csp_hsts'] });
  });
  afterAll(() => t.dispose());

  it('shows who shared it, pre-fills the form to verify on load, and reports on the server for readers without JavaScript', async () => {
    const { path } = await share({ reveal: ['/results/security.ssrf'], label: 'For Globex <procurement>' });
    const res = await h.request('GET', path);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const page = await res.text();
    const text = visibleText(page);
    expect(text).toContain('Shared by Acme Corp');
    expect(page).toContain('For Globex &lt;procurement&gt;');
    expect(page).toContain('<form id="verify-form" class="verify-form" method="post" action="/verify" data-autoverify="true">');
    expect(page).toMatch(/<textarea id="credential" name="credential"[^>]*>eyJ[A-Za-z0-9_.~-]+<\/textarea>/);
    expect(page).toContain('<script src="/assets/verify.js" defer></script>');
    expect(reportHooks(page)).toEqual({ verdict: 'verified', status: 'valid', failedCheck: undefined });
    expect(text).toContain('Passed: Outbound webhook URL safety (security.ssrf)');
    expect(text).toContain('Not disclosed by the vendor: Rate limiting (security.rate_limiting)');
    expect(text).not.toContain('https://evidence.acme.example/security.rate_limiting');
    expect(text).toContain(`${path}/badge.svg`);
    expect(page).toContain(`<img src="${path}/badge.svg"`);
    // The badge's URL holds the link's token: embedding it publishes the page, and the page says so.
    expect(text).toContain('whoever sees the badge can open this page and everything it discloses');
  });

  it('answers an unknown token with a 404 page and a withdrawn or expired link with a plain 410 page that shows nothing of it', async () => {
    const unknown = await h.request('GET', '/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(visibleText(await unknown.text())).toContain('Error code share_not_found');
    expect((await h.request('GET', '/s/not-a-token')).status).toBe(404);

    const withdrawn = await share({ reveal: [], label: 'Withdrawn one' });
    const del = await h.request('DELETE', `/v1/t/acme/attestations/${issued.attestation_id}/shares/${withdrawn.id}`, {
      token: h.adminToken,
    });
    expect(del.status, await del.clone().text()).toBeLessThan(300);
    const expiring = await share({
      reveal: [],
      label: 'Expiring one',
      expires_at: new Date(h.clock().getTime() + 3_600_000).toISOString(),
    });
    expect((await h.request('GET', expiring.path)).status).toBe(200);
    h.clock.advanceDays(1);
    for (const [path, words] of [
      [withdrawn.path, 'This link was withdrawn'],
      [expiring.path, 'This link has expired'],
    ] as const) {
      const res = await h.request('GET', path);
      expect(res.status).toBe(410);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const page = await res.text();
      expect(visibleText(page)).toContain(words);
      expect(page).not.toMatch(/Acme|Withdrawn one|Expiring one|eyJ|class="report"/);
    }
  });

  it('answers an outage on a page with an error page that names the code and keeps the cause to the log', async () => {
    const fail = () => Promise.reject(new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2'));
    const down: Database = { ...t.db, query: fail, exec: fail, transaction: fail };
    const res = await h.app.fetch(new Request(`${ORIGIN}/s/${'A'.repeat(43)}`), { db: down });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const page = await res.text();
    expect(visibleText(page)).toContain('Error code internal_error');
    expect(page).not.toMatch(/ECONNREFUSED|hunter2|\n\s+at |\.ts:\d+/);
  });
});
