import { describe, expect, it } from 'vitest';
import { failureSentence } from '../../src/pages/check-sentences.ts';
import { renderReport, type ReportInput } from '../../src/pages/report.ts';
import { findBuiltinProfile } from '../../src/readiness/registry.ts';
import type { Check, CheckName, VerificationResult } from '../../src/verify/result.ts';
import { reportHooks, visibleText } from './support.ts';

const profile = findBuiltinProfile('production-readiness-review', '1.0.0')!;
const ISSUER = 'did:web:issuer.test:t:acme';
const passed = (...names: CheckName[]): Check[] => names.map((name) => ({ name, ok: true, code: 'ok' }));
const ALL_PASSED = passed('format', 'algorithm', 'issuer_trusted', 'issuer_key', 'signature', 'validity_period', 'status', 'readiness');

/** A VC Data Model 2.0 credential's claims as the pipeline reports them, disclosing the first `disclosed` controls. */
function result(overrides: Partial<VerificationResult> = {}, disclosed = Infinity): VerificationResult {
  const results = Object.fromEntries(
    profile.sections
      .flatMap((s) => s.controls)
      .slice(0, disclosed)
      .map((c) => [c.id, { status: 'pass', evidence: [] }]),
  );
  return {
    verified: true,
    format: 'vc+jwt',
    credentialId: 'urn:uuid:6f1c1a52-8a55-4b8e-9a53-0f6c1c1f2e01',
    issuer: ISSUER,
    kid: `${ISSUER}#abc`,
    checks: ALL_PASSED,
    claims: {
      issuer: ISSUER,
      validFrom: '2026-01-01T00:00:00Z',
      validUntil: '2026-04-01T00:00:00Z',
      credentialSubject: {
        organisation: 'Acme Corp',
        product: 'Acme Cloud',
        profile: { id: profile.id, version: profile.version },
        verdict: {
          strict_gate_passed: true,
          stage: 'scale_ready',
          stages_reached: ['launchable', 'production_grade', 'scale_ready'],
          blockers: [],
          exclusions: [],
          acceptance: null,
        },
        results,
      },
    },
    status: { value: 'valid', lists: ['https://issuer.test/t/acme/status/x/revocation'] },
    ...overrides,
  };
}
const render = (r: VerificationResult, extra: Partial<ReportInput> = {}) =>
  renderReport({ result: r, judgedAt: new Date('2026-02-01T12:30:00Z'), where: 'browser', profile, issuerName: 'Acme Corp', ...extra });

describe('the plain-language report', () => {
  it('says a valid attestation replaced by a newer one is superseded, naming the newer one and its date', () => {
    const html = render(
      result({
        notice: {
          attestation: '11111111-1111-4111-8111-111111111111',
          status: 'valid',
          supersededBy: { attestation: '22222222-2222-4222-8222-222222222222', issuedAt: '2026-01-20T09:00:00Z' },
        },
      }),
    );
    expect(reportHooks(html)).toEqual({ verdict: 'verified', status: 'superseded', failedCheck: undefined });
    expect(visibleText(html)).toContain('Superseded by attestation 22222222-2222-4222-8222-222222222222 issued 20 January 2026, 09:00 UTC');
  });

  it('lists the controls of the profile the vendor did not disclose, and counts them', () => {
    const total = profile.sections.flatMap((s) => s.controls).length;
    const text = visibleText(render(result({}, 3)));
    expect(text).toContain(`3 passed, ${total - 3} not disclosed by the vendor`);
    const hidden = profile.sections.flatMap((s) => s.controls)[5]!;
    expect(text).toContain(`Not disclosed by the vendor: ${hidden.title} (${hidden.id})`);
    for (const section of profile.sections) expect(text).toContain(section.title);
  });

  it('says what the profile requires for sign-offs and customer acceptance when the credential cannot carry them', () => {
    const text = visibleText(render(result()));
    expect(text).toContain('Sign-offs');
    expect(text).toContain('No customer acceptance recorded');
  });

  it('offline, shows the bundle’s DID, key, digest and date to compare with an independent copy, and links nothing', () => {
    const bundle = { did: ISSUER, kid: 'kid-thumbprint', digest: `sha256:${'ab'.repeat(32)}`, generatedAt: '2026-01-15T08:00:00Z' };
    const html = render(result(), { where: 'offline', bundle });
    const text = visibleText(html);
    expect(text).toContain('Verified offline, from a saved trust bundle');
    expect(text).toContain(
      `Issuer DID ${ISSUER} Bundle signing key kid-thumbprint Bundle digest (SHA-256) sha256:${'ab'.repeat(32)} Bundle made 15 January 2026, 08:00 UTC`,
    );
    expect(html).not.toContain('href=');
  });

  it('gives every failure a sentence for a buyer, falling back to the check’s own for a code it does not know', () => {
    const codes: Record<CheckName, string[]> = {
      format: ['malformed', 'too_deep', 'too_large', 'not_a_credential', 'unsupported_format', 'no_issuer'],
      algorithm: ['algorithm_not_allowed', 'key_in_header', 'unsupported_critical_header', 'algorithm_key_mismatch'],
      issuer_trusted: ['untrusted_issuer'],
      issuer_key: ['unknown_key', 'ambiguous_key', 'unresolvable_issuer', 'kid_not_of_issuer', 'no_kid', 'key_revoked', 'unsafe_url'],
      signature: ['bad_signature'],
      validity_period: ['expired', 'not_yet_valid'],
      disclosures: [
        'unreferenced_disclosure',
        'duplicate_disclosure',
        'digest_referenced_twice',
        'claim_collision',
        'malformed_disclosure',
      ],
      key_binding: ['key_binding_missing', 'wrong_audience', 'wrong_nonce', 'bad_signature', 'too_old', 'sd_hash_mismatch'],
      status: ['revoked', 'suspended', 'unreachable_list', 'list_expired', 'list_bad_signature', 'index_out_of_range'],
      readiness: ['no_profile', 'profile_digest_mismatch', 'verdict_mismatch'],
      log: ['not_in_log', 'log_status_mismatch', 'log_rewritten_entry', 'log_forged_checkpoint', 'log_other_log', 'log_key_unpublished'],
      // Never fails: its codes are remarks.
      evidence: [],
    };
    for (const [check, list] of Object.entries(codes)) {
      const fallback = failureSentence(check, 'a_code_added_later');
      expect(fallback.length).toBeGreaterThan(20);
      for (const code of list) {
        const sentence = failureSentence(check, code);
        expect(sentence, `${check}/${code}`).toMatch(/^[A-Z].{20,}\.$/);
        if (!code.startsWith('list_')) expect(sentence, `${check}/${code} has its own sentence`).not.toBe(fallback);
      }
    }
    expect(failureSentence('a_check_added_later', 'x')).toMatch(/did not pass/);
  });

  it('marks an expired credential as not verified, naming the validity period in words', () => {
    const checks = [
      ...passed('format', 'algorithm', 'issuer_trusted', 'issuer_key', 'signature'),
      { name: 'validity_period' as const, ok: false, code: 'expired', detail: 'the credential has expired' },
    ];
    const html = render(result({ verified: false, checks, status: undefined }));
    expect(reportHooks(html)).toEqual({ verdict: 'not-verified', status: 'unknown', failedCheck: 'validity_period' });
    expect(visibleText(html)).toContain('Failed check: Validity period. The credential has expired');
  });

  it('escapes everything the credential says, in text and in attributes, and shows control characters as escapes', () => {
    const hostile = '<img src=x onerror=alert(1)>"\'&\u202e';
    const r = result({ subject: hostile, kid: hostile, issuer: hostile });
    const claims = r.claims as { credentialSubject: Record<string, unknown> };
    claims.credentialSubject.organisation = hostile;
    claims.credentialSubject.production_url = `javascript:alert(1)`;
    (claims.credentialSubject.results as Record<string, unknown>)['security.ssrf'] = {
      status: hostile,
      note: hostile,
      evidence: [{ uri: 'javascript:alert(1)', digest: hostile, media_type: hostile, collected_by: hostile }],
    };
    const html = render(r, { issuerName: hostile });
    expect(html).not.toMatch(/<img|onerror=alert\(1\)>|\u202e/);
    expect(html).not.toMatch(/href="javascript:/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;\\u202e');
  });

  it('renders the same bytes for the same input: no locale, time zone or clock enters the report', () => {
    expect(render(result())).toBe(render(result()));
  });
});
