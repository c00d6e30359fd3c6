import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { AppError } from '../../src/errors/index.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey, openPrivateJwk, type KeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { listKeys, sealedPrivateKey } from '../../src/keys/key-store.ts';
import { keyState, publishedKeys, type KeyRecord } from '../../src/keys/lifecycle.ts';
import { DEFAULT_KEY_POLICY, type KeyPolicy } from '../../src/keys/policy.ts';
import { rotateIfDue, rotateNow, setKeyPolicy } from '../../src/keys/rotation.ts';
import type { Database } from '../../src/store/port.ts';
import { acrossTenants, withTenant } from '../../src/store/tenant-scope.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { revokeKey } from '../../src/use-cases/revoke-key.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { fixedClock } from '../support/harness.ts';

const POLICY: KeyPolicy = { algorithm: 'ES256', rotationPeriodDays: 90, maxCredentialValidityDays: 365, retiredPublishDays: 400 };

describe.each(engines())('key lifecycle on $engine', ({ open }) => {
  let t: TestDatabase;
  let db: Database;
  let kek: KeyEncryptionKey;
  let n = 0;

  beforeAll(async () => {
    t = await open();
    db = t.db;
    kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
  });
  afterAll(() => t.dispose());

  /** A new tenant for each test, created at the clock's start. */
  async function tenant(policy: KeyPolicy = POLICY) {
    const clock = fixedClock();
    const id = `tenant-${++n}`;
    await createTenant({ db, kek, now: clock(), actor: 'test' }, { id, name: id, keyPolicy: policy });
    const ctx = () => ({ db, kek, now: clock(), actor: 'test' });
    const keys = () => withTenant(db, id, (tx) => listKeys(tx, id));
    const states = async () => Object.fromEntries((await keys()).map((k) => [k.kid, keyState(k, clock())]));
    const published = async () => publishedKeys(await keys(), clock()).map((k) => k.kid);
    return { id, clock, ctx, keys, states, published };
  }

  it('creates a tenant with one signing key and one waiting key, both published', async () => {
    const t1 = await tenant();
    const keys = await t1.keys();
    expect(keys).toHaveLength(2);
    expect(Object.values(await t1.states()).sort()).toEqual(['active', 'next']);
    expect((await t1.published()).sort()).toEqual(keys.map((k) => k.kid).sort());
  });

  it('names every key by its RFC 7638 thumbprint', async () => {
    for (const k of await (await tenant()).keys()) {
      expect(k.kid).toBe(await calculateJwkThumbprint(k.publicJwk as JWK, 'sha256'));
    }
  });

  it('does not rotate before the rotation period, and rotates once it has passed', async () => {
    const t1 = await tenant();
    const [active] = (await t1.keys()).filter((k) => keyState(k, t1.clock()) === 'active');
    const next = (await t1.keys()).find((k) => keyState(k, t1.clock()) === 'next')!;

    t1.clock.advanceDays(89);
    expect((await rotateIfDue(t1.ctx(), t1.id)).rotated).toBe(false);
    expect(await t1.keys()).toHaveLength(2);

    t1.clock.advanceDays(1);
    const out = await rotateIfDue(t1.ctx(), t1.id);
    expect(out).toMatchObject({ rotated: true, activeKid: next.kid, retiredKid: active!.kid });
    const states = await t1.states();
    expect(states[active!.kid]).toBe('retired');
    expect(states[next.kid]).toBe('active');
    expect(states[out.nextKid]).toBe('next');
  });

  it('keeps a retired key published until its window ends, then expires it but keeps it in history', async () => {
    const t1 = await tenant();
    const out = await rotateNow(t1.ctx(), t1.id);
    const retired = out.retiredKid!;
    const record = (await t1.keys()).find((k) => k.kid === retired)!;
    expect(record.publishUntil!.getTime() - record.retiredAt!.getTime()).toBe(POLICY.retiredPublishDays * 86_400_000);

    t1.clock.advanceDays(POLICY.retiredPublishDays - 1);
    expect(await t1.published()).toContain(retired);
    expect((await t1.states())[retired]).toBe('retired');

    t1.clock.advanceDays(1);
    expect(await t1.published()).not.toContain(retired);
    expect((await t1.states())[retired]).toBe('expired');
    expect((await t1.keys()).map((k) => k.kid)).toContain(retired);
  });

  it('keeps a key published while anything it signed is still valid, even past the policy window', async () => {
    const t1 = await tenant();
    const [active] = (await t1.keys()).filter((k) => keyState(k, t1.clock()) === 'active');
    const signedUntil = new Date(t1.clock().getTime() + 500 * 86_400_000);
    await withTenant(db, t1.id, (tx) =>
      tx.query('update signing_keys set signed_until = $3 where tenant_id = $1 and kid = $2', [t1.id, active!.kid, signedUntil]),
    );
    await rotateNow(t1.ctx(), t1.id);
    t1.clock.advanceDays(450);
    expect(await t1.published()).toContain(active!.kid);
    t1.clock.advanceDays(50);
    expect(await t1.published()).not.toContain(active!.kid);
  });

  it('revokes a compromised signing key: unpublished at once, the waiting key takes over, a new one waits', async () => {
    const t1 = await tenant();
    const before = await t1.keys();
    const active = before.find((k) => keyState(k, t1.clock()) === 'active')!;
    const next = before.find((k) => keyState(k, t1.clock()) === 'next')!;
    t1.clock.advanceDays(3);

    const { key: revoked } = await revokeKey(t1.ctx(), t1.id, active.kid, 'private key leaked');
    expect(revoked.revokedAt).toEqual(t1.clock());
    expect(revoked.revocationReason).toBe('private key leaked');
    const states = await t1.states();
    expect(states[active.kid]).toBe('revoked');
    expect(states[next.kid]).toBe('active');
    expect(Object.values(states).filter((s) => s === 'next')).toHaveLength(1);
    expect(await t1.published()).not.toContain(active.kid);
  });

  it('replaces a revoked waiting key and leaves the signing key alone', async () => {
    const t1 = await tenant();
    const next = (await t1.keys()).find((k) => keyState(k, t1.clock()) === 'next')!;
    const active = (await t1.keys()).find((k) => keyState(k, t1.clock()) === 'active')!;
    await revokeKey(t1.ctx(), t1.id, next.kid, 'generated on a suspect host');
    const states = await t1.states();
    expect(states[active.kid]).toBe('active');
    expect(
      Object.entries(states)
        .filter(([, s]) => s === 'next')
        .map(([k]) => k),
    ).not.toContain(next.kid);
    expect(Object.values(states).filter((s) => s === 'next')).toHaveLength(1);
  });

  it('revokes a retired key too (a compromise found later) and refuses to revoke twice', async () => {
    const t1 = await tenant();
    const { retiredKid } = await rotateNow(t1.ctx(), t1.id);
    await revokeKey(t1.ctx(), t1.id, retiredKid!, 'found in a backup dump');
    expect(await t1.published()).not.toContain(retiredKid);
    const again = revokeKey(t1.ctx(), t1.id, retiredKid!, 'again');
    await expect(again).rejects.toBeInstanceOf(AppError);
    await expect(again).rejects.toMatchObject({ code: 'key_state_conflict' });
  });

  it('answers key_not_found for a kid the tenant does not have', async () => {
    const t1 = await tenant();
    await expect(revokeKey(t1.ctx(), t1.id, 'A'.repeat(43), 'x')).rejects.toMatchObject({ code: 'key_not_found' });
  });

  it('generates Ed25519 keys when the policy asks for EdDSA, from the next generated key on', async () => {
    const t1 = await tenant();
    await setKeyPolicy(t1.ctx(), t1.id, { ...POLICY, algorithm: 'EdDSA' });
    await rotateNow(t1.ctx(), t1.id);
    const newest = (await t1.keys()).find((k) => keyState(k, t1.clock()) === 'next')!;
    expect(newest.alg).toBe('EdDSA');
    expect(newest.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    const edTenant = await tenant({ ...POLICY, algorithm: 'EdDSA' });
    expect((await edTenant.keys()).every((k: KeyRecord) => k.alg === 'EdDSA')).toBe(true);
  });

  it('stores private keys sealed under the KEK, bound to their tenant and kid', async () => {
    const t1 = await tenant();
    const [key] = await t1.keys();
    const sealed = (await withTenant(db, t1.id, (tx) => sealedPrivateKey(tx, t1.id, key!.kid)))!;
    expect(sealed.sealed).not.toMatch(/"d"|"kty"/);
    expect(sealed.kekId).toBe(kek.id);
    const jwk = await openPrivateJwk(kek, t1.id, key!.kid, sealed.sealed);
    expect(jwk.d).toBeTypeOf('string');
    expect({ x: jwk.x, y: jwk.y }).toEqual({ x: key!.publicJwk.x, y: key!.publicJwk.y });
    // The same ciphertext moved to another tenant or kid, or opened with another KEK, does not decrypt.
    await expect(openPrivateJwk(kek, 'other-tenant', key!.kid, sealed.sealed)).rejects.toThrow();
    await expect(
      openPrivateJwk(await importKeyEncryptionKey(generateKeyEncryptionKey()), t1.id, key!.kid, sealed.sealed),
    ).rejects.toThrow();
    // Nothing in storage holds a private member in clear.
    const rows = await acrossTenants(db, (tx) => tx.query<{ j: string }>('select public_jwk::text as j from signing_keys'));
    expect(rows.every((r) => !r.j.includes('"d"'))).toBe(true);
  });

  it('records each rotation and revocation in the audit trail with its time and actor', async () => {
    const t1 = await tenant();
    t1.clock.advanceDays(1);
    const out = await rotateNow(t1.ctx(), t1.id);
    await revokeKey({ ...t1.ctx(), actor: 'api_key:abc' }, t1.id, out.retiredKid!, 'test');
    const events = await withTenant(db, t1.id, (tx) =>
      tx.query<{ action: string; actor: string; target: string; at: Date }>(
        'select action, actor, target, at from audit_events where tenant_id = $1 order by id',
        [t1.id],
      ),
    );
    expect(events.map((e) => e.action)).toEqual(['tenant.created', 'key.initialised', 'key.rotated', 'key.revoked']);
    expect(events.at(-1)).toMatchObject({ actor: 'api_key:abc', target: out.retiredKid });
    expect(events.at(-2)!.at).toEqual(t1.clock());
  });

  it('defaults to the deployment key policy in keys/policy.json', async () => {
    const id = `tenant-${++n}`;
    await createTenant({ db, kek, now: new Date(), actor: 'test' }, { id, name: id });
    const [row] = await withTenant(db, id, (tx) =>
      tx.query<{ key_policy: KeyPolicy }>('select key_policy from tenants where id = $1', [id]),
    );
    expect(row!.key_policy).toEqual(DEFAULT_KEY_POLICY);
  });
});

describe.each(engines())('a service started with the wrong key-encryption key on $engine', ({ open }) => {
  it('is told which KEK its signing keys need, and rotating twice under the new one clears it', async () => {
    const t = await open();
    try {
      const { keysSealedUnderOtherKek } = await import('../../src/keys/kek-check.ts');
      const original = await importKeyEncryptionKey(generateKeyEncryptionKey());
      const replacement = await importKeyEncryptionKey(generateKeyEncryptionKey());
      await createTenant({ db: t.db, kek: original, now: new Date(), actor: 'test' }, { id: 'kek-t', name: 'k' });
      expect(await keysSealedUnderOtherKek(t.db, original)).toEqual([]);
      const foreign = await keysSealedUnderOtherKek(t.db, replacement);
      expect(foreign).toHaveLength(2);
      expect(new Set(foreign.map((k) => k.kekId))).toEqual(new Set([original.id]));
      for (let i = 0; i < 2; i++) await rotateNow({ db: t.db, kek: replacement, now: new Date(), actor: 'test' }, 'kek-t');
      expect(await keysSealedUnderOtherKek(t.db, replacement)).toEqual([]);
    } finally {
      await t.dispose();
    }
  });
});
