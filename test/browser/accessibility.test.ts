import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BROWSER_TEST_TIMEOUT,
  pasteAndSubmit,
  readReport,
  serviceAndChromium,
  skipWithoutChromium,
  NO_CHROMIUM,
  tamperPayload,
  withPage,
  type IssuedAttestation,
  verifiedInBrowser,
  type RunningService,
} from './support.ts';
import { skipBecause } from '../support/skip.ts';

const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Serious and critical violations axe-core finds on the page as it stands, one line each for a readable failure. */
async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_22_AA).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

describe.skipIf(skipBecause(skipWithoutChromium, NO_CHROMIUM))(
  'every buyer-facing page: no serious or critical axe-core violation (WCAG 2.2 AA rules), no CSP violation, no script error',
  { timeout: BROWSER_TEST_TIMEOUT },
  () => {
    let service: RunningService;
    let browser: Browser;
    let issued: IssuedAttestation;

    serviceAndChromium((s, b) => {
      service = s;
      browser = b;
    });
    beforeAll(async () => {
      issued = await service.issue('acme');
    });

    it('the home page', async () => {
      await withPage(browser, async ({ page, problems }) => {
        expect((await page.goto(`${service.origin}/`))?.status()).toBe(200);
        expect(await seriousViolations(page)).toEqual([]);
        expect(problems).toEqual([]);
      });
    });

    it('the API reference at /docs', async () => {
      await withPage(browser, async ({ page, problems }) => {
        expect((await page.goto(`${service.origin}/docs`))?.status()).toBe(200);
        expect(await seriousViolations(page)).toEqual([]);
        expect(problems).toEqual([]);
      });
    });

    it('/verify before anything is pasted', async () => {
      await withPage(browser, async ({ page, problems }) => {
        expect((await page.goto(`${service.origin}/verify`))?.status()).toBe(200);
        expect(await seriousViolations(page)).toEqual([]);
        expect(problems).toEqual([]);
      });
    });

    it('/verify with a verified report', async () => {
      await withPage(browser, async ({ page, problems }) => {
        await page.goto(`${service.origin}/verify`);
        await pasteAndSubmit(page, issued.credentials['dc+sd-jwt'].credential);
        expect((await readReport(page)).verdict).toBe('verified');
        expect(await seriousViolations(page)).toEqual([]);
        expect(problems).toEqual([]);
      });
    });

    it('/verify with a failed report', async () => {
      await withPage(browser, async ({ page, problems }) => {
        await page.goto(`${service.origin}/verify`);
        await pasteAndSubmit(page, tamperPayload(issued.credentials['vc+jwt'].credential));
        expect((await readReport(page)).verdict).toBe('not-verified');
        expect(await seriousViolations(page)).toEqual([]);
        expect(problems).toEqual([]);
      });
    });

    it('/verify with the server’s report (the page without its script)', async () => {
      // axe-core is itself a script, so "no JavaScript" here means the page's own script never loads.
      await withPage(browser, async ({ page, problems }) => {
        await page.route('**/assets/verify.js', (route) => route.abort());
        await page.goto(`${service.origin}/verify`);
        await pasteAndSubmit(page, issued.credentials['jwt_vc_json'].credential);
        await page.waitForURL(`${service.origin}/verify`);
        expect((await readReport(page)).verdict).toBe('verified');
        expect(await page.locator('#how-verified').innerText()).toMatch(/server/i);
        expect(await seriousViolations(page)).toEqual([]);
        expect(problems).toEqual([]);
      });
    });

    it('/verify with a report on a phone: nothing wider than the screen', async () => {
      await withPage(
        browser,
        async ({ page, problems }) => {
          await page.goto(`${service.origin}/verify`);
          await pasteAndSubmit(page, issued.credentials['dc+sd-jwt'].credential);
          expect((await readReport(page)).verdict).toBe('verified');
          const [contentWidth, screenWidth] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
          expect(contentWidth).toBeLessThanOrEqual(screenWidth!);
          expect(await seriousViolations(page)).toEqual([]);
          expect(problems).toEqual([]);
        },
        { phone: true },
      );
    });

    it('a share page with its report', async () => {
      const share = await service.share('acme', issued.attestationId, {
        reveal: ['/results/security.ssrf'],
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        label: 'Accessibility review',
      });
      await withPage(browser, async ({ page, problems }) => {
        await page.goto(share.url);
        await verifiedInBrowser(page);
        expect((await readReport(page)).verdict).toBe('verified');
        expect(await seriousViolations(page)).toEqual([]);
        expect(problems).toEqual([]);
      });
    });

    it('the 410 page of an expired share', async () => {
      const share = await service.share('acme', issued.attestationId, {
        reveal: [],
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        label: 'Expires',
      });
      service.clock.advance(2 * 3_600_000);
      try {
        await withPage(browser, async ({ page, problems }) => {
          expect((await page.goto(share.url))?.status()).toBe(410);
          expect(await seriousViolations(page)).toEqual([]);
          expect(problems).toEqual([]);
        });
      } finally {
        service.clock.reset();
      }
    });

    it('the offline verifier with a report', async () => {
      const res = await service.api('GET', '/t/acme/verifier.html', undefined, { auth: false });
      expect(res.status).toBe(200);
      const dir = await mkdtemp(join(tmpdir(), 'launchproof-axe-'));
      try {
        const path = join(dir, 'acme-verifier.html');
        await writeFile(path, await res.text());
        await withPage(browser, async ({ page, problems }) => {
          await page.goto(pathToFileURL(path).toString());
          await pasteAndSubmit(page, issued.credentials['dc+sd-jwt'].credential);
          expect((await readReport(page)).verdict).toBe('verified');
          expect(await seriousViolations(page)).toEqual([]);
          expect(problems).toEqual([]);
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  },
);
