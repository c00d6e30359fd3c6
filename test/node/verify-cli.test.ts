/**
 * `launchproof verify` as an auditor runs it: a real child process, two files, no network (the
 * no-network fixture makes any attempt fail the run), no database, no configuration (a broken
 * one is set on purpose: a command that read it would exit 2 for that instead).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleEnvironment } from '../../src/verify/bundle-environment.ts';
import { verifyCredential } from '../../src/verify/pipeline.ts';
import { openTrustBundle } from '../../src/verify/trust-bundle.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { fixedClock, harness, type Harness } from '../support/harness.ts';

const BIN = join(import.meta.dirname, '../../bin/launchproof.mjs');
const NO_NETWORK = pathToFileURL(join(import.meta.dirname, 'fixtures/no-network.mjs')).href;
const DAY = 86_400_000;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  const env = {
    ...process.env,
    NODE_OPTIONS: `--import ${NO_NETWORK}`,
    PORT: 'eighty',
    DATABASE_URL: 'postgres://launchproof@db.invalid/launchproof',
  };
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}
const cli = (...args: string[]) => run([BIN, ...args]);

describe('launchproof verify, offline', () => {
  let t: TestDatabase;
  let h: Harness;
  let dir: string;
  let issuedAt: Date;
  const file = (name: string) => join(dir, name);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'launchproof-verify-'));
    // Issued a minute ago, so a run without --at (judged now) finds the credential valid.
    issuedAt = new Date(Date.now() - 60_000);
    t = await freshPglite();
    h = await harness(t.db, { clock: fixedClock(issuedAt) });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
    const res = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt', 'dc+sd-jwt'] },
    });
    expect(res.status).toBe(201);
    const [vc, sd] = ((await res.json()) as { credentials: { id: string; credential: string }[] }).credentials;
    await h.request('PATCH', `/v1/t/acme/credentials/${sd!.id}/status`, {
      token: h.adminToken,
      body: { status: 'revoked', reason: 'test' },
    });
    await h.background.settled();
    const bundle = await (await h.request('GET', '/t/acme/trust-bundle.json')).text();

    // One date moved a year on, the signature left as it was.
    const signed = JSON.parse(bundle) as { payload: string };
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(signed.payload))) as { generated_at: string };
    const redated = { ...payload, generated_at: new Date(Date.parse(payload.generated_at) + 365 * DAY).toISOString() };
    const tampered = { ...signed, payload: base64url.encode(JSON.stringify(redated)) };
    await Promise.all([
      writeFile(file('valid.jwt'), `${vc!.credential}\n`),
      writeFile(
        file('envelope.json'),
        JSON.stringify({ type: 'EnvelopedVerifiableCredential', id: `data:application/vc+jwt,${vc!.credential}` }),
      ),
      writeFile(file('revoked.sd-jwt'), sd!.credential),
      writeFile(file('bundle.json'), bundle),
      writeFile(file('tampered.json'), JSON.stringify(tampered)),
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

  it('prints the pipeline result as JSON with --json, the same as verifying in process', async () => {
    const at = new Date(issuedAt.getTime() + 30 * DAY);
    const r = await cli('verify', file('envelope.json'), '--bundle', file('bundle.json'), '--at', at.toISOString(), '--json');
    expect(r.status).toBe(0);
    const { bundle } = await openTrustBundle(await (await h.request('GET', '/t/acme/trust-bundle.json')).text());
    const envelope = JSON.parse(await readFile(file('envelope.json'), 'utf8')) as unknown;
    expect(JSON.parse(r.stdout)).toEqual(
      JSON.parse(JSON.stringify(await verifyCredential(envelope, bundleEnvironment(bundle, { at, skewSeconds: 60 })))),
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ verified: true, format: 'vc+jwt', status: { value: 'valid' } });
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
