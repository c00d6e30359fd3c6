import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issuerIdentity } from '../../src/did/issuer-identity.ts';
import { trustBundleDigest } from '../../src/verify/bundle-digest.ts';
import {
  ALL_FORMATS,
  BROWSER_TEST_TIMEOUT,
  pasteAndSubmit,
  readReport,
  serviceAndChromium,
  skipWithoutChromium,
  NO_CHROMIUM,
  tamperPayload,
  withPage,
  type IssuedAttestation,
  type RunningService,
} from './support.ts';
import { skipBecause } from '../support/skip.ts';

/**
 * Every request the context makes is aborted and counted, except loading the saved file itself:
 * an auditor years from now may have no network, and the file must not need one.
 */
async function cutOffNetwork(context: BrowserContext, file: string): Promise<string[]> {
  const attempts: string[] = [];
  await context.route('**/*', (route) => {
    const request = route.request();
    if (request.url() === file && request.isNavigationRequest() && request.frame().parentFrame() === null) return route.continue();
    attempts.push(`${request.method()} ${request.url()}`);
    return route.abort();
  });
  return attempts;
}

describe.skipIf(skipBecause(skipWithoutChromium, NO_CHROMIUM))(
  'the offline verifier, one HTML file opened from disk with no network',
  { timeout: BROWSER_TEST_TIMEOUT },
  () => {
    let service: RunningService;
    let browser: Browser;
    let issued: IssuedAttestation;
    let dir: string;
    let file: string;
    let bundleText: string;
    let did: string;

    serviceAndChromium((s, b) => {
      service = s;
      browser = b;
    });
    beforeAll(async () => {
      issued = await service.issue('acme');
      const res = await service.api('GET', '/t/acme/verifier.html', undefined, { auth: false });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await res.text();
      const embedded = /<script type="application\/json" id="trust-bundle">([\s\S]*?)<\/script>/.exec(html);
      expect(embedded, 'the trust bundle is embedded').toBeTruthy();
      // The page escapes `<` so the bundle cannot close its script element; the bytes are otherwise the served ones.
      bundleText = embedded![1]!.replace(/\\u003c/g, '<');
      did = issuerIdentity(new URL(service.origin), 'acme').did;
      dir = await mkdtemp(join(tmpdir(), 'launchproof-offline-'));
      file = pathToFileURL(join(dir, 'acme-verifier.html')).toString();
      await writeFile(join(dir, 'acme-verifier.html'), html);
      // The server is gone for what follows: nothing could answer even if the page tried.
      await service.stop();
    });
    afterAll(async () => {
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it.each(ALL_FORMATS)(
      'verifies a valid %s, its issuance found in the issuer’s log, showing the bundle digest, DID and kid to compare, with zero network attempts',
      async (format) => {
        await withPage(browser, async ({ page, context }) => {
          const attempts = await cutOffNetwork(context, file);
          await page.goto(file);
          await pasteAndSubmit(page, issued.credentials[format].credential);
          const report = await readReport(page);
          expect(report).toMatchObject({ verdict: 'verified', status: 'valid', failedCheck: null });
          expect(report.text).toContain('Acme Cloud');
          // The issuer's log, embedded in the bundle, holds the credential's issuance: checked in the page, offline.
          const checks = (await page.locator('#report ol.checks').textContent()) ?? '';
          expect(checks).toMatch(/Issuer’s public log: passed log: ok/);
          expect(checks).toMatch(/issuance entry \d+ of \d+, proved included under the signed checkpoint; status in the log: valid/);
          const pageText = (await page.locator('body').innerText()).replace(/\s+/g, ' ');
          expect(pageText).toContain(await trustBundleDigest(bundleText));
          expect(pageText).toContain(did);
          // The kid as the issuer's JWK Set publishes it: the bare thumbprint.
          expect(pageText).toContain(issued.kid.split('#').pop()!);
          expect(attempts).toEqual([]);
        });
      },
    );

    it.each(ALL_FORMATS)('refuses an altered %s, naming the failed check, with zero network attempts', async (format) => {
      await withPage(browser, async ({ page, context }) => {
        const attempts = await cutOffNetwork(context, file);
        await page.goto(file);
        await pasteAndSubmit(page, tamperPayload(issued.credentials[format].credential));
        const report = await readReport(page);
        expect(report).toMatchObject({ verdict: 'not-verified', failedCheck: 'signature' });
        expect(report.text).toMatch(/signature does not match/i);
        expect(attempts).toEqual([]);
      });
    });
  },
);
