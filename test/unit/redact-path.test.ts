import { describe, expect, it } from 'vitest';
import { redactPath } from '../../src/http/redact-path.ts';

describe('paths as logged', () => {
  it('drops the bearer secret of a share link, with or without what follows it', () => {
    expect(redactPath('/s/ZJUMFuoxdnVnGySgFRL0ceOrug6OA-GbX12fNa-ExsM')).toBe('/s/[redacted]');
    expect(redactPath('/s/ZJUMFuoxdnVnGySgFRL0ceOrug6OA-GbX12fNa-ExsM/badge.svg')).toBe('/s/[redacted]/badge.svg');
    // A mistyped path finds no page, and its token is still real.
    expect(redactPath('//s/ZJUMFuoxdnVnGySgFRL0ceOrug6OA-GbX12fNa-ExsM')).toBe('//s/[redacted]');
    expect(redactPath('/S/ZJUMFuoxdnVnGySgFRL0ceOrug6OA-GbX12fNa-ExsM')).toBe('/S/[redacted]');
  });
  it('drops the reference of an OID4VCI offer, which fetches the offer', () => {
    expect(redactPath('/t/acme/offers/q3Vb8hKQ0mC2h0N5o7e6Qx')).toBe('/t/acme/offers/[redacted]');
  });
  it('keeps every other path whole', () => {
    for (const path of [
      '/t/acme/status/lq3Vb8hKQ0mC2h0N5o7e6Q',
      '/v1/t/acme/attestations/1b4e28ba-2fa1-11d2-883f-0016d3cca427',
      '/verify',
      '/s',
    ])
      expect(redactPath(path)).toBe(path);
  });
});
