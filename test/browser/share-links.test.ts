import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { disclosablePointers } from '../../src/verify/present.ts';
import {
  BROWSER_TEST_TIMEOUT,
  ISSUER_NAME,
  readReport,
  serviceAndChromium,
  skipWithoutChromium,
  NO_CHROMIUM,
  withPage,
  verifiedInBrowser,
  type RunningService,
} from './support.ts';
import { skipBecause } from '../support/skip.ts';

const HOUR = 3_600_000;
const inOneHour = () => new Date(Date.now() + HOUR).toISOString();
const evidenceOf = (control: string, i: number) => `https://evidence.acme.example/${control}/${i}.json`;

describe.skipIf(skipBecause(skipWithoutChromium, NO_CHROMIUM))(
  'share links and the live badge in Chromium',
  { timeout: BROWSER_TEST_TIMEOUT },
  () => {
    let service: RunningService;
    let browser: Browser;

    serviceAndChromium((s, b) => {
      service = s;
      browser = b;
    });

    it('a share page verifies in the browser and reveals only the results the vendor chose', async () => {
      const issued = await service.issue('acme');
      const all = await disclosablePointers(issued.credentials['dc+sd-jwt'].credential);
      expect(all).toContain('/results/security.ssrf');
      expect(all).toContain('/results/security.production_secrets');
      const share = await service.share('acme', issued.attestationId, {
        reveal: ['/results/security.ssrf'],
        expires_at: inOneHour(),
        label: 'For the Globex security review',
      });

      await withPage(browser, async ({ page }) => {
        const response = await page.goto(share.url);
        expect(response?.status()).toBe(200);
        await verifiedInBrowser(page);
        const report = await readReport(page);
        expect(report).toMatchObject({ verdict: 'verified', status: 'valid', failedCheck: null });
        // Subject, profile and verdict are always visible; the chosen result with its evidence too.
        expect(report.text).toContain('Acme Cloud');
        expect(report.text).toContain(ISSUER_NAME);
        expect(report.text).toContain('production-readiness-review');
        expect(report.text).toContain(evidenceOf('security.ssrf', 0));
        expect(report.text).toMatch(/not disclosed/i);
        const pageText = await page.locator('body').innerText();
        expect(pageText).toContain(`Shared by ${ISSUER_NAME}`);
        expect(pageText).toContain('For the Globex security review');
        // What reached the browser holds nothing else: not on the page, not in the credential it was given.
        expect(await page.content()).not.toContain(evidenceOf('security.production_secrets', 1));
        const presented = await page.locator('#credential').inputValue();
        const revealed = await disclosablePointers(presented);
        expect(revealed.length).toBeGreaterThan(0);
        expect(revealed.every((p) => p === '/results/security.ssrf' || p.startsWith('/results/security.ssrf/'))).toBe(true);
      });
    });

    it('without JavaScript the share page shows the server’s report, with the same verdict', async () => {
      const issued = await service.issue('acme');
      const share = await service.share('acme', issued.attestationId, {
        reveal: ['/results/security.ssrf'],
        expires_at: inOneHour(),
        label: 'For a reader without JavaScript',
      });
      await withPage(
        browser,
        async ({ page }) => {
          expect((await page.goto(share.url))?.status()).toBe(200);
          const report = await readReport(page);
          expect(report).toMatchObject({ verdict: 'verified', status: 'valid', failedCheck: null });
          expect(report.text).toContain(evidenceOf('security.ssrf', 0));
          expect(await page.content()).not.toContain(evidenceOf('security.production_secrets', 1));
        },
        { javaScriptEnabled: false },
      );
    });

    it('an expired share answers 410 with a plain page saying so, and none of the attestation', async () => {
      const issued = await service.issue('acme');
      const share = await service.share('acme', issued.attestationId, { reveal: [], expires_at: inOneHour(), label: 'Short-lived' });
      service.clock.advance(2 * HOUR);
      try {
        await withPage(browser, async ({ page }) => {
          const response = await page.goto(share.url);
          expect(response?.status()).toBe(410);
          const text = await page.locator('body').innerText();
          expect(text).toMatch(/expired/i);
          const html = await page.content();
          expect(html).not.toContain('Acme Cloud');
          expect(html).not.toContain(issued.credentials['dc+sd-jwt'].credential.split('.')[0]!);
          expect(await page.locator('[data-verdict]').count()).toBe(0);
        });
      } finally {
        service.clock.reset();
      }
    });

    it('a withdrawn share answers 410 too', async () => {
      const issued = await service.issue('acme');
      const share = await service.share('acme', issued.attestationId, { reveal: [], expires_at: inOneHour(), label: 'Withdrawn' });
      const res = await service.api('DELETE', `/v1/t/acme/attestations/${issued.attestationId}/shares/${share.id}`);
      expect(res.status).toBeLessThan(300);
      await withPage(browser, async ({ page }) => {
        const response = await page.goto(share.url);
        expect(response?.status()).toBe(410);
        expect(await page.content()).not.toContain('Acme Cloud');
      });
    });

    it('the badge says valid, then revoked once the attestation is revoked, and is cached for at most 300 s', async () => {
      const issued = await service.issue('acme');
      const share = await service.share('acme', issued.attestationId, { reveal: [], expires_at: inOneHour(), label: 'Badge' });
      const badgeUrl = `${share.url}/badge.svg`;
      const badge = () =>
        withPage(browser, async ({ page }) => {
          const response = await page.goto(badgeUrl);
          expect(response?.status()).toBe(200);
          expect(response?.headers()['content-type']).toMatch(/^image\/svg\+xml/);
          const maxAge = Number(/max-age=(\d+)/.exec(response?.headers()['cache-control'] ?? '')?.[1]);
          expect(maxAge).toBeGreaterThanOrEqual(0);
          expect(maxAge).toBeLessThanOrEqual(300);
          return (await response!.text()).replace(/\s+/g, ' ');
        });
      const endpoint = async () => {
        const res = await service.api('GET', new URL(`${share.url}/badge.json`).pathname, undefined, { auth: false });
        expect(res.status).toBe(200);
        return (await res.json()) as { schemaVersion: number; label: string; message: string; color: string };
      };

      const before = await badge();
      expect(before).toMatch(/\bvalid\b/);
      expect(before).not.toMatch(/revoked/);
      const endpointBefore = await endpoint();
      expect(endpointBefore).toMatchObject({ schemaVersion: 1 });
      expect(endpointBefore.message).toMatch(/\bvalid\b/);

      await service.setStatus('acme', issued.attestationId, 'revoked', { reason: 'Withdrawn by the vendor' });

      const after = await badge();
      expect(after).toMatch(/revoked/);
      expect(after).not.toMatch(/\bvalid\b/);
      const endpointAfter = await endpoint();
      expect(endpointAfter.message).toMatch(/revoked/);
      expect(endpointAfter.color).not.toBe(endpointBefore.color);

      // The share page shows the same badge.
      await withPage(browser, async ({ page }) => {
        await page.goto(share.url);
        expect(await page.locator(`img[src$="/s/${share.token}/badge.svg"]`).count()).toBeGreaterThan(0);
      });
    });
  },
);
