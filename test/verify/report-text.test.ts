import { describe, expect, it } from 'vitest';
import { renderTextReport } from '../../src/verify/report-text.ts';

describe('the text report', () => {
  it('shows terminal controls and bidirectional overrides from a credential as escapes, and cuts long values', () => {
    const text = renderTextReport(
      {
        verified: false,
        issuer: 'did:web:evil.example\u001b[2J\u001b[32mVERIFIED',
        subject: `urn:x:\u202etxt.exe${'a'.repeat(500)}`,
        checks: [
          { name: 'format', ok: true, code: 'ok' },
          { name: 'signature', ok: false, code: 'bad_signature', detail: 'line one\nVERIFIED' },
        ],
      },
      { at: new Date('2026-01-01T00:00:00Z') },
    );
    expect(text).toMatch(/^NOT VERIFIED: signature bad_signature\n/);
    // Nothing unprintable is left but the report's own line breaks.
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/);
    expect(text).toContain('did:web:evil.example\\u001b[2J\\u001b[32mVERIFIED');
    expect(text).toContain('urn:x:\\u202etxt.exe');
    expect(text).toContain('✗ signature  bad_signature: line one\\u000aVERIFIED');
    expect(text.split('\n').every((line) => line.length < 260)).toBe(true);
  });
});
