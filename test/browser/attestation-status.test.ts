import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { readableInstant } from '../../src/pages/dates.ts';
import {
  ALL_FORMATS,
  BROWSER_TEST_TIMEOUT,
  pasteAndSubmit,
  readReport,
  serviceAndChromium,
  skipWithoutChromium,
  NO_CHROMIUM,
  withPage,
  type IssuedAttestation,
  type ReportView,
  type RunningService,
} from './support.ts';
import { skipBecause } from '../support/skip.ts';

describe.skipIf(skipBecause(skipWithoutChromium, NO_CHROMIUM))(
  'a suspended, revoked or superseded attestation on /verify in Chromium',
  { timeout: BROWSER_TEST_TIMEOUT },
  () => {
    let service: RunningService;
    let browser: Browser;

    serviceAndChromium((s, b) => {
      service = s;
      browser = b;
    });

    /** Each format of the attestation as the browser reports it, in a fresh page each. */
    const reportsOf = async (issued: IssuedAttestation) => {
      const reports: Record<string, ReportView> = {};
      for (const format of ALL_FORMATS) {
        reports[format] = await withPage(browser, async ({ page }) => {
          await page.goto(`${service.origin}/verify`);
          await pasteAndSubmit(page, issued.credentials[format].credential);
          return readReport(page);
        });
      }
      return reports;
    };

    /** When the issuer says the status last changed, from its public notice for the credential. */
    const changedAt = async (issued: IssuedAttestation) => {
      const uuid = issued.credentials['vc+jwt'].id.replace(/^urn:uuid:/, '');
      const res = await service.api('GET', `/t/acme/notices/${uuid}`, undefined, { auth: false });
      expect(res.status).toBe(200);
      const notice = (await res.json()) as { changed_at?: string };
      expect(notice.changed_at).toBeTruthy();
      return new Date(notice.changed_at!);
    };

    it.each([
      { status: 'suspended' as const, reason: 'Evidence for the backup drill is being re-collected' },
      { status: 'revoked' as const, reason: 'Two controls failed a customer audit' },
    ])('one change makes every format $status, shown with its date and the published reason', async ({ status, reason }) => {
      const issued = await service.issue('acme');
      const internal = `ticket SEC-${status}-4711, internal only`;
      await service.setStatus('acme', issued.attestationId, status, { reason: internal, publicReason: reason });
      const when = readableInstant(await changedAt(issued));

      const reports = await reportsOf(issued);
      for (const format of ALL_FORMATS) {
        const report = reports[format]!;
        expect(report, format).toMatchObject({ verdict: 'not-verified', status, failedCheck: 'status' });
        expect(report.text, format).toMatch(new RegExp(status, 'i'));
        expect(report.text, format).toContain(reason);
        expect(report.text, format).toContain(when);
        expect(report.text, format).not.toContain(internal);
      }
    });

    it('an attestation replaced by a newer one is shown as superseded, naming its successor, in every format', async () => {
      const older = await service.issue('acme');
      const newer = await service.issue('acme', { supersedes: older.attestationId });

      const reports = await reportsOf(older);
      for (const format of ALL_FORMATS) {
        const report = reports[format]!;
        expect(report.status, format).toBe('superseded');
        expect(report.text, format).toMatch(/superseded/i);
        expect(report.text, format).toContain(newer.attestationId);
      }
      // The newer one is simply valid.
      const current = await reportsOf(newer);
      for (const format of ALL_FORMATS) expect(current[format], format).toMatchObject({ verdict: 'verified', status: 'valid' });
    });
  },
);
