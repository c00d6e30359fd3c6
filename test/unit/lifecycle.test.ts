import { describe, expect, it } from 'vitest';
import { isPublished, keyState, publishedKeys, type KeyRecord } from '../../src/keys/lifecycle.ts';
import { keyPolicySchema } from '../../src/keys/policy.ts';

const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000);

function key(
  kid: string,
  at: Partial<Pick<KeyRecord, 'createdAt' | 'activatedAt' | 'retiredAt' | 'publishUntil' | 'revokedAt'>>,
): KeyRecord {
  return {
    tenantId: 't',
    kid,
    alg: 'ES256',
    publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
    createdAt: at.createdAt ?? day(0),
    activatedAt: at.activatedAt ?? null,
    retiredAt: at.retiredAt ?? null,
    publishUntil: at.publishUntil ?? null,
    revokedAt: at.revokedAt ?? null,
    revocationReason: at.revokedAt ? 'r' : null,
    signedUntil: null,
  };
}

describe('key state is a function of the key’s instants and the clock', () => {
  const k = key('k', { createdAt: day(0), activatedAt: day(10), retiredAt: day(100), publishUntil: day(500) });

  it.each([
    [day(5), 'next'],
    [day(10), 'active'],
    [day(99), 'active'],
    [day(100), 'retired'],
    [day(499), 'retired'],
    [day(500), 'expired'],
  ] as const)('at %s the key is %s', (at, state) => {
    expect(keyState(k, at)).toBe(state);
  });

  it('answers for the past too: a key revoked today was active on the day it signed', () => {
    const revoked = { ...k, revokedAt: day(50), revocationReason: 'leak' };
    expect(keyState(revoked, day(40))).toBe('active');
    expect(keyState(revoked, day(50))).toBe('revoked');
    expect(keyState(revoked, day(700))).toBe('revoked');
  });

  it('publishes next, active and retired keys only', () => {
    expect(['next', 'active', 'retired', 'expired', 'revoked'].map((s) => isPublished(s as never))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });

  it('lists the signing key first, then the waiting key, then retired keys newest first', () => {
    const keys = [
      key('old', { createdAt: day(0), activatedAt: day(0), retiredAt: day(90), publishUntil: day(490) }),
      key('older', { createdAt: day(-90), activatedAt: day(-90), retiredAt: day(0), publishUntil: day(400) }),
      key('next', { createdAt: day(90) }),
      key('active', { createdAt: day(0), activatedAt: day(90) }),
      key('gone', { createdAt: day(-200), activatedAt: day(-200), retiredAt: day(-100), publishUntil: day(-1) }),
      key('bad', { createdAt: day(0), revokedAt: day(1) }),
    ];
    expect(publishedKeys(keys, day(91)).map((k) => k.kid)).toEqual(['active', 'next', 'old', 'older']);
  });
});

describe('key policy', () => {
  const base = { algorithm: 'ES256', rotationPeriodDays: 90, maxCredentialValidityDays: 365, retiredPublishDays: 400 };

  it('refuses a retirement window shorter than the longest credential a key may sign', () => {
    const r = keyPolicySchema.safeParse({ ...base, retiredPublishDays: 364 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['retiredPublishDays']);
  });

  it('refuses algorithms outside ES256 and EdDSA, and unknown members', () => {
    expect(keyPolicySchema.safeParse({ ...base, algorithm: 'RS256' }).success).toBe(false);
    expect(keyPolicySchema.safeParse({ ...base, extra: 1 }).success).toBe(false);
    expect(keyPolicySchema.safeParse(base).success).toBe(true);
  });
});
