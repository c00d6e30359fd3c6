/**
 * `launchproof verify` as an auditor runs it: a real child process, two files, no network (the
 * no-network fixture makes any attempt fail the run), no database, no configuration (a broken
 * one is set on purpose: a command that read it would exit 2 for that instead).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wire } from '../../src/http/routes/verify.ts';
import { bundleEnvironment } from '../../src/verify/bundle-environment.ts';
import { verifyCredential } from '../../src/verify/pipeline.ts';
import { openTrustBundle } from '../../src/verify/trust-bundle.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { fixedClock, harness, type Harness } from '../support/harness.ts';
import { offlineCli, offlineNode } from '../support/offline-cli.ts';

const DAY = 86_400_000;

const run = offlineNode;
const cli = offlineCli;

describe('launchproof verify, offline', () => {
  let t: TestDatabase;
  let h: Harness;
  let dir: string;
  let issuedAt: Date;
  let bundleText: string;
  /** The key that signed the bundle, as its JWK Set publishes it: the bare RFC 7638 thumbprint. */
  let bundleKid: string;
  const did = 'did:web:issuer.test:t:acme';
  const verifier = { audience: 'https://buyer.example', nonce: 'contract-2026-11' };
  const file = (name: string) => join(dir, name);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'launchproof-verify-'));
    // Issued a minute ago, so a run without --at (judged now) finds the credential valid.
    issuedAt = new Date(Date.now() - 60_000);
    t = await freshPglite();
    h = await harness(t.db, { clock: fixedClock(issuedAt) });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
    // Two attestations: the formats of one share its status, and only the second is revoked.
    const issue = async (formats: string[]) => {
      const res = await h.request('POST', '/v1/t/acme/attestations', {
        token: h.adminToken,
        body: { assessment: readinessAssessment(), formats },
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { credentials: { id: string; credential: string }[] }).credentials[0]!;
    };
    const vc = await issue(['vc+jwt']);
    const sd = await issue(['dc+sd-jwt']);
    const holder = await generateKeyPair('ES256', { extractable: true });
    const bound = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['dc+sd-jwt'], holder: { jwk: await exportJWK(holder.publicKey) } },
    });
    expect(bound.status).toBe(201);
    const [held] = ((await bound.json()) as { credentials: { credential: string }[] }).credentials;
    await h.request('PATCH', `/v1/t/acme/credentials/${sd.id}/status`, {
      token: h.adminToken,
      body: { status: 'revoked', reason: 'test' },
    });
    const bundle = await (await h.request('GET', '/t/acme/trust-bundle.json')).text();
    bundleText = bundle;

    // One date moved a year on, the signature left as it was.
    const signed = JSON.parse(bundle) as { protected: string; payload: string };
    bundleKid = (JSON.parse(new TextDecoder().decode(base64url.decode(signed.protected))) as { kid: string }).kid.slice(did.length + 1);
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(signed.payload))) as { generated_at: string };
    const redated = { ...payload, generated_at: new Date(Date.parse(payload.generated_at) + 365 * DAY).toISOString() };
    const tampered = { ...signed, payload: base64url.encode(JSON.stringify(redated)) };
    await Promise.all([
      writeFile(file('valid.jwt'), `${vc.credential}\n`),
      writeFile(
        file('envelope.json'),
        JSON.stringify({
          '@context': 'https://www.w3.org/ns/credentials/v2',
          type: 'EnvelopedVerifiableCredential',
          id: `data:application/vc+jwt,${vc.credential}`,
        }),
      ),
      writeFile(file('revoked.sd-jwt'), sd.credential),
      writeFile(file('bundle.json'), bundle),
      writeFile(file('tampered.json'), JSON.stringify(tampered)),
      writeFile(file('held.sd-jwt'), held!.credential),
      writeFile(file('holder.jwk'), JSON.stringify(await exportJWK(holder.privateKey))),
    ]);
  });
  afterAll(async () => {
    await t?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('the no-network fixture itself: fetch, a socket and a DNS lookup all fail, and fail the run', async () => {
    const probe = `
      const r = {};
      try { require('node:net').connect(443, 'example.com'); r.socket = 'connected'; } catch { r.socket = 'refused'; }
      try { require('node:dns').lookup('example.com', () => {}); r.dns = 'looked up'; } catch { r.dns = 'refused'; }
      fetch('https://example.com').then(() => { r.fetch = 'fetched'; }, () => { r.fetch = 'refused'; })
        .finally(() => process.stdout.write(JSON.stringify(r)));`;
    const r = await run(['-e', probe]);
    expect(JSON.parse(r.stdout)).toEqual({ socket: 'refused', dns: 'refused', fetch: 'refused' });
    expect(r.status).toBe(97);
    expect(r.stderr).toContain('no-network: refused');
  });

  it('exits 0 with a readable report for a valid credential, judged now by default', async () => {
    const r = await cli('verify', file('valid.jwt'), '--bundle', file('bundle.json'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^VERIFIED\n/);
    for (const line of [
      /issuer +did:web:issuer\.test:t:acme/,
      /kid +did:web:issuer\.test:t:acme#[A-Za-z0-9_-]{43}/,
      /format +vc\+jwt/,
      /bundle +did:web:issuer\.test:t:acme, made /,
      /✓ signature +ok/,
      /✓ status +ok/,
      /✓ readiness +ok/,
      /status +valid \(lists as of /,
      /readiness +production-readiness-review@1\.0\.0/,
    ])
      expect(r.stdout).toMatch(line);
    expect(r.stdout).not.toContain('✗');
  });

  it('exits 1 for a revoked credential, naming the status check', async () => {
    const r = await cli('verify', file('revoked.sd-jwt'), '--bundle', file('bundle.json'), '--at', issuedAt.toISOString());
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^NOT VERIFIED: status revoked\n/);
    expect(r.stdout).toMatch(/✗ status +revoked: the issuer has revoked this credential/);
    expect(r.stderr).toBe('');
  });

  it('prints the result in the API wire form with --json, with the instant judged at and the bundle it rests on', async () => {
    const at = new Date(issuedAt.getTime() + 30 * DAY);
    const r = await cli('verify', file('envelope.json'), '--bundle', file('bundle.json'), '--at', at.toISOString(), '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { bundle } = await openTrustBundle(bundleText);
    const envelope = JSON.parse(await readFile(file('envelope.json'), 'utf8')) as unknown;
    const printed = JSON.parse(r.stdout) as Record<string, unknown>;
    const { judged_at: judgedAt, bundle: about, ...result } = printed;
    expect(result).toEqual(
      JSON.parse(JSON.stringify(wire(await verifyCredential(envelope, bundleEnvironment(bundle, { at, skewSeconds: 60 }))))),
    );
    expect(judgedAt).toBe(at.toISOString());
    // What an auditor compares with a copy obtained independently: `sha256sum bundle.json`.
    const sha256sum = createHash('sha256')
      .update(await readFile(file('bundle.json')))
      .digest('hex');
    expect(about).toEqual({ did, kid: bundleKid, digest: `sha256:${sha256sum}`, generated_at: bundle.generated_at });
    expect(printed).toMatchObject({
      verified: true,
      format: 'vc+jwt',
      credential_id: expect.stringMatching(/^urn:uuid:/),
      status: { value: 'valid' },
      readiness: { strict_gate_passed: expect.any(Boolean) },
    });
    expect(printed).not.toHaveProperty('credentialId');
    expect(printed.readiness).not.toHaveProperty('strictGatePassed');
  });

  it('shows the bundle digest in the text report', async () => {
    const r = await cli('verify', file('valid.jwt'), '--bundle', file('bundle.json'));
    expect(r.status).toBe(0);
    const sha256sum = createHash('sha256').update(bundleText).digest('hex');
    expect(r.stdout).toContain(`sha256:${sha256sum}`);
  });

  it('gives the verdict when the bundle is the pinned DID and key (the kid bare, as the JWK Set has it, or as DID#kid)', async () => {
    const [bare, full] = await Promise.all([
      cli('verify', file('valid.jwt'), '--bundle', file('bundle.json'), '--expect-did', did, '--expect-kid', bundleKid),
      cli('verify', file('valid.jwt'), '--bundle', file('bundle.json'), '--expect-did', did, '--expect-kid', `${did}#${bundleKid}`),
    ]);
    for (const r of [bare, full]) {
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^VERIFIED\n/);
    }
  });

  it('refuses a bundle of another DID or signed by another key: exit 2, no verdict, both the pin and the bundle named', async () => {
    const stranger = await calculateJwkThumbprint(await exportJWK((await generateKeyPair('ES256')).publicKey));
    const [otherDid, otherKid, otherFullKid] = await Promise.all([
      cli('verify', file('valid.jwt'), '--bundle', file('bundle.json'), '--expect-did', 'did:web:issuer.test:t:globex'),
      cli('verify', file('valid.jwt'), '--bundle', file('bundle.json'), `--expect-kid=${stranger}`),
      cli('verify', file('valid.jwt'), '--bundle', file('bundle.json'), '--expect-kid', `did:web:issuer.test:t:globex#${bundleKid}`),
    ]);
    for (const r of [otherDid, otherKid, otherFullKid]) {
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/VERIFIED/);
    }
    expect(otherDid.stderr).toContain('did:web:issuer.test:t:globex');
    expect(otherDid.stderr).toContain(did);
    expect(otherKid.stderr).toContain(stranger);
    expect(otherKid.stderr).toContain(bundleKid);
    expect(otherFullKid.stderr).toContain(`did:web:issuer.test:t:globex#${bundleKid}`);
    expect(otherFullKid.stderr).toContain(`${did}#${bundleKid}`);
  });

  it('takes a pinned kid that starts with "-" as the value of --expect-kid, as the README passes it', async () => {
    // A thumbprint is base64url: one in 64 starts with "-". Given as the next argument, it is
    // the option's value (as getopt takes it), not an unknown option and a usage error.
    const dashed = `-${bundleKid.slice(1)}`;
    const r = await cli('verify', file('valid.jwt'), '--bundle', file('bundle.json'), '--expect-kid', dashed);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`not by ${dashed} as --expect-kid requires`);
  });

  it('checks holder binding with --aud and --nonce: the right verifier passes, another nonce fails key_binding', async () => {
    const presented = await cli(
      'present',
      file('held.sd-jwt'),
      '--holder-key',
      file('holder.jwk'),
      '--aud',
      verifier.audience,
      '--nonce',
      verifier.nonce,
    );
    expect(presented.status).toBe(0);
    await writeFile(file('presented.sd-jwt'), presented.stdout);
    const verify = (nonce: string) =>
      cli('verify', file('presented.sd-jwt'), '--bundle', file('bundle.json'), '--aud', verifier.audience, '--nonce', nonce, '--json');
    const [right, wrong, unbound] = await Promise.all([
      verify(verifier.nonce),
      verify('another-deal'),
      cli('verify', file('presented.sd-jwt'), '--bundle', file('bundle.json')),
    ]);
    type Printed = { verified: boolean; checks: { name: string; ok: boolean; code: string }[] };
    const keyBinding = (r: { stdout: string }) => (JSON.parse(r.stdout) as Printed).checks.find((c) => c.name === 'key_binding');
    expect(right.stderr).toBe('');
    expect(right.status).toBe(0);
    expect(keyBinding(right)).toMatchObject({ ok: true, code: 'ok' });
    expect(wrong.status).toBe(1);
    expect(keyBinding(wrong)).toMatchObject({ ok: false, code: 'wrong_nonce' });
    // Without a verifier to bind to, the key-binding JWT is shown unchecked, never taken as checked.
    expect(unbound.stdout).toMatch(/key_binding +not_checked/);
  });

  it('asks for --aud and --nonce together: one without the other exits 2', async () => {
    const [audOnly, nonceOnly] = await Promise.all([
      cli('verify', file('valid.jwt'), '--bundle', file('bundle.json'), '--aud', verifier.audience),
      cli('verify', file('valid.jwt'), '--bundle', file('bundle.json'), '--nonce', verifier.nonce),
    ]);
    for (const r of [audOnly, nonceOnly]) {
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/--aud and --nonce/);
    }
  });

  it('exits 2 when it cannot judge: no FILE, no --bundle, a bad --at, a missing file, a bundle that fails its signature', async () => {
    const [noFile, noBundle, badAt, missing, tampered] = await Promise.all([
      cli('verify', '--bundle', file('bundle.json')),
      cli('verify', file('valid.jwt')),
      cli('verify', file('valid.jwt'), '--bundle', file('bundle.json'), '--at', 'yesterday'),
      cli('verify', file('nothing-here.jwt'), '--bundle', file('bundle.json')),
      cli('verify', file('valid.jwt'), '--bundle', file('tampered.json')),
    ]);
    expect([noFile, noBundle, badAt, missing, tampered].map((r) => r.status)).toEqual([2, 2, 2, 2, 2]);
    expect(noFile.stderr).toMatch(/needs the FILE/);
    expect(noBundle.stderr).toMatch(/needs --bundle/);
    expect(badAt.stderr).toMatch(/--at must be an RFC 3339 date-time/);
    expect(missing.stderr).toMatch(/cannot read credential file .*ENOENT/);
    expect(tampered.stderr).toMatch(/the trust bundle .* cannot be used \(bad_bundle_signature\)/);
    for (const r of [noFile, noBundle, badAt, missing, tampered]) {
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toContain('no-network');
    }
  });
});
