import type { Browser, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ALL_FORMATS,
  BROWSER_TEST_TIMEOUT,
  ISSUER_NAME,
  pasteAndSubmit,
  readReport,
  serviceAndChromium,
  skipWithoutChromium,
  NO_CHROMIUM,
  tamperDisclosure,
  tamperPayload,
  withPage,
  type IssuedAttestation,
  verifiedInBrowser,
  type RunningService,
} from './support.ts';
import { skipBecause } from '../support/skip.ts';

/** Requests that would mean the server judged the credential instead of the browser. */
const serverVerifications = (requests: string[]) => requests.filter((r) => /^POST .*\/(verify|v1\/verify)$/.test(r));

async function verifyInBrowser(page: Page, origin: string, credential: string) {
  await page.goto(`${origin}/verify`);
  await pasteAndSubmit(page, credential);
  return readReport(page);
}

describe.skipIf(skipBecause(skipWithoutChromium, NO_CHROMIUM))(
  'a buyer checking an attestation on /verify in Chromium',
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

    it.each(ALL_FORMATS)('a pasted %s is verified in the browser, and the report names issuer, subject and profile', async (format) => {
      await withPage(browser, async ({ page, requests, problems }) => {
        const report = await verifyInBrowser(page, service.origin, issued.credentials[format].credential);
        expect(report).toMatchObject({ verdict: 'verified', status: 'valid', failedCheck: null });
        expect(report.text).toContain(ISSUER_NAME);
        expect(report.text).toContain('Acme Corp');
        expect(report.text).toContain('Acme Cloud');
        expect(report.text).toContain('production-readiness-review');
        expect(report.text).toContain('1.0.0');
        await verifiedInBrowser(page);
        expect(serverVerifications(requests)).toEqual([]);
        // The browser fetched what it judged with from this origin: the issuer's trust bundle.
        expect(requests).toContainEqual(`GET ${service.origin}/t/acme/trust-bundle.json`);
        expect(problems).toEqual([]);
      });
    });

    it.each(ALL_FORMATS)(
      'an altered %s is not verified, and the report says in words that the signature does not match',
      async (format) => {
        await withPage(browser, async ({ page, requests }) => {
          const report = await verifyInBrowser(page, service.origin, tamperPayload(issued.credentials[format].credential));
          expect(report).toMatchObject({ verdict: 'not-verified', failedCheck: 'signature' });
          expect(report.text).toMatch(/signature does not match/i);
          expect(report.text).toMatch(/altered/i);
          expect(serverVerifications(requests)).toEqual([]);
        });
      },
    );

    it('an SD-JWT VC with an altered disclosure is not verified, and the report says the content was changed after issuance', async () => {
      await withPage(browser, async ({ page }) => {
        const report = await verifyInBrowser(page, service.origin, tamperDisclosure(issued.credentials['dc+sd-jwt'].credential));
        expect(report).toMatchObject({ verdict: 'not-verified', failedCheck: 'disclosures' });
        expect(report.text).toMatch(/not signed by the issuer/i);
        expect(report.text).toMatch(/changed after issuance/i);
      });
    });

    it('a credential file dropped on the form is verified like a pasted one', async () => {
      await withPage(browser, async ({ page }) => {
        await page.goto(`${service.origin}/verify`);
        await page.evaluate((text) => {
          const data = new DataTransfer();
          data.items.add(new File([text], 'attestation.sd-jwt', { type: 'application/dc+sd-jwt' }));
          const form = document.getElementById('verify-form')!;
          form.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
          form.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
        }, issued.credentials['dc+sd-jwt'].credential);
        expect(await readReport(page)).toMatchObject({ verdict: 'verified', status: 'valid', failedCheck: null });
      });
    });

    describe('without JavaScript the form posts to the server, which gives the same verdict', () => {
      const cases = ALL_FORMATS.flatMap((format) => [
        { name: `${format}`, format, altered: false },
        { name: `altered ${format}`, format, altered: true },
      ]);

      it.each(cases)('$name', async ({ format, altered }) => {
        const credential = altered ? tamperPayload(issued.credentials[format].credential) : issued.credentials[format].credential;
        const withScript = await withPage(browser, ({ page }) => verifyInBrowser(page, service.origin, credential));
        await withPage(
          browser,
          async ({ page, requests }) => {
            await page.goto(`${service.origin}/verify`);
            await pasteAndSubmit(page, credential);
            await page.waitForURL(`${service.origin}/verify`);
            const report = await readReport(page);
            expect(serverVerifications(requests)).toEqual([`POST ${service.origin}/verify`]);
            expect({ verdict: report.verdict, status: report.status, failedCheck: report.failedCheck }).toEqual({
              verdict: withScript.verdict,
              status: withScript.status,
              failedCheck: withScript.failedCheck,
            });
            expect(report.verdict).toBe(altered ? 'not-verified' : 'verified');
            expect(await page.locator('#how-verified').innerText()).toMatch(/server/i);
          },
          { javaScriptEnabled: false },
        );
      });
    });
  },
);
