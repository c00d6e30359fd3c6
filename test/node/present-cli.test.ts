/**
 * `launchproof present` as a holder runs it: a real child process, the credential and the
 * holder's private JWK in files, no network (the no-network fixture fails any attempt), no
 * database and no configuration (a broken one is set: a command that read it would exit 2 for
 * that). The presentation it prints is then verified in this process, key binding included.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presentCommand, type PresentArgs } from '../../src/runtime/node/present-command.ts';
import { localTenantOf } from '../../src/verify/local-keys.ts';
import { databaseKeys } from '../support/verify-env.ts';
import { verifyCredential, type VerifyEnvironment } from '../../src/verify/pipeline.ts';
import { disclosablePointers } from '../../src/verify/present.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { fixedClock, harness, ORIGIN, type Harness } from '../support/harness.ts';
import { offlineCli as cli } from '../support/offline-cli.ts';

/** Written into a broken key file: it must never come back out on stderr. */
const SECRET_MARKER = 'pVt-d-MUST-NOT-BE-ECHOED';

describe('launchproof present, offline', () => {
  let t: TestDatabase;
  let h: Harness;
  let dir: string;
  let credential: string;
  let edCredential: string;
  const file = (name: string) => join(dir, name);
  const origin = new URL(ORIGIN);
  // Judged now: the key-binding JWT the child signs carries the real time.
  const env = (): VerifyEnvironment => ({
    keys: databaseKeys(t.db, origin),
    statusLists: { fetch: async (url) => (await h.request('GET', new URL(url).pathname)).text() },
    isTrusted: (issuer) => localTenantOf(origin, issuer) !== undefined,
    now: new Date(),
    skewSeconds: 60,
  });
  const verifier = { audience: 'https://buyer.example', nonce: 'contract-2026-11' };

  async function issueTo(holderPublic: JWK): Promise<string> {
    const res = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['dc+sd-jwt'], holder: { jwk: holderPublic } },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { credentials: { credential: string }[] }).credentials[0]!.credential;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'launchproof-present-'));
    t = await freshPglite();
    // Issued a minute ago, so the credential is valid when the child binds it, now.
    h = await harness(t.db, { clock: fixedClock(new Date(Date.now() - 60_000)) });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
    const [holder, edHolder, stranger] = await Promise.all([
      generateKeyPair('ES256', { extractable: true }),
      generateKeyPair('EdDSA', { extractable: true }),
      generateKeyPair('ES256', { extractable: true }),
    ]);
    credential = await issueTo(await exportJWK(holder.publicKey));
    edCredential = await issueTo(await exportJWK(edHolder.publicKey));
    await Promise.all([
      writeFile(file('credential.sd-jwt'), `${credential}\n`),
      writeFile(file('ed.sd-jwt'), edCredential),
      writeFile(file('holder.jwk'), JSON.stringify(await exportJWK(holder.privateKey))),
      writeFile(file('ed-holder.jwk'), JSON.stringify(await exportJWK(edHolder.privateKey))),
      writeFile(file('stranger.jwk'), JSON.stringify(await exportJWK(stranger.privateKey))),
      writeFile(file('public.jwk'), JSON.stringify(await exportJWK(holder.publicKey))),
      writeFile(file('broken.jwk'), `{"kty":"EC","crv":"P-256","d":"${SECRET_MARKER}"`),
      writeFile(file('plain.jwt'), 'eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln\n'),
    ]);
  });
  afterAll(async () => {
    await t?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('--list prints the disclosable claims, one JSON pointer a line', async () => {
    const r = await cli('present', file('credential.sd-jwt'), '--list');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe((await disclosablePointers(credential)).map((p) => `${p}\n`).join(''));
    expect(r.stdout).toMatch(/^\/results\/[^/\n]+$/m);
  });

  it('reveals exactly the chosen results and binds them to one verifier (ES256 and EdDSA holders)', async () => {
    const controls = (await disclosablePointers(credential)).filter((p) => /^\/results\/[^/]+$/.test(p));
    const chosen = [controls[0]!, controls[2]!];
    const binding = ['--aud', verifier.audience, '--nonce', verifier.nonce];
    const [es, ed] = await Promise.all([
      cli('present', file('credential.sd-jwt'), '--reveal', chosen.join(','), '--holder-key', file('holder.jwk'), ...binding),
      cli('present', file('ed.sd-jwt'), '--reveal', chosen[0]!, '--reveal', chosen[1]!, '--holder-key', file('ed-holder.jwk'), ...binding),
    ]);
    for (const [r, alg] of [
      [es, 'ES256'],
      [ed, 'EdDSA'],
    ] as const) {
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      // The presentation and its newline, nothing else: fit for $(launchproof present ...).
      expect(r.stdout).toMatch(/^[A-Za-z0-9_.~-]+\n$/);
      const presented = r.stdout.trim();
      const kbHeader = JSON.parse(Buffer.from(presented.split('~').at(-1)!.split('.')[0]!, 'base64url').toString()) as { alg: string };
      expect(kbHeader).toEqual({ alg, typ: 'kb+jwt' });

      const result = await verifyCredential(presented, env(), { keyBinding: verifier });
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      expect(result.verified).toBe(true);
      expect(result.checks.find((c) => c.name === 'key_binding')).toMatchObject({ ok: true, code: 'ok' });
      const results = result.claims!.results as Record<string, { evidence: unknown[] }>;
      // The credentials list their claims in different (shuffled) orders: compared as sets.
      expect(
        Object.keys(results)
          .map((k) => `/results/${k}`)
          .sort(),
      ).toEqual([...chosen].sort());
      for (const k of Object.keys(results)) expect(results[k]!.evidence.length).toBeGreaterThan(0);

      const elsewhere = await verifyCredential(presented, env(), { keyBinding: { ...verifier, nonce: 'another-deal' } });
      expect(elsewhere.checks.filter((c) => !c.ok).map((c) => c.code)).toEqual(['wrong_nonce']);
    }
  });

  it('exits 2, saying why, for a usage error or input it cannot use; a key file is never echoed', async () => {
    const sd = file('credential.sd-jwt');
    const bind = ['--aud', verifier.audience, '--nonce', verifier.nonce];
    const runs = await Promise.all([
      cli('present', sd, '--holder-key', file('holder.jwk'), '--nonce', 'n'),
      cli('present', sd, '--reveal', '/results/no-such-control,/verdict'),
      cli('present', file('nothing-here.sd-jwt'), '--list'),
      cli('present', sd, '--holder-key', file('broken.jwk'), ...bind),
    ]);
    expect(runs.map((r) => r.status)).toEqual([2, 2, 2, 2]);
    const [keyWithoutAudience, unknownPointer, missingFile, brokenKey] = runs.map((r) => r.stderr);
    expect(keyWithoutAudience).toMatch(/--holder-key, --aud and --nonce go together[^]*usage: launchproof/);
    expect(unknownPointer).toMatch(/not a disclosable claim: \/results\/no-such-control, \/verdict \(not_disclosable\)/);
    expect(missingFile).toMatch(/cannot read credential file .*ENOENT/);
    expect(brokenKey).toMatch(/holder key file .* is not a JWK \(not JSON\)/);
    for (const r of runs) {
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toContain('no-network');
      expect(r.stderr).not.toContain(SECRET_MARKER);
    }
  });

  // The rest of what it refuses, in this process: each child costs seconds, and the exit codes are proven above.
  it('refuses half a key binding, --list with a selection, a plain JWT, a public key and a key the credential is not bound to', async () => {
    const run = async (args: Partial<PresentArgs>) => {
      const out: string[] = [];
      const err: string[] = [];
      const all = { file: file('credential.sd-jwt'), reveal: [], list: false, holderKey: undefined, audience: undefined, nonce: undefined };
      const code = await presentCommand(
        { ...all, ...args },
        (t) => void out.push(t),
        (t) => void err.push(t),
      );
      expect(out).toEqual([]);
      return { code, stderr: err.join('') };
    };
    const bind = { audience: verifier.audience, nonce: verifier.nonce };
    await expect(run({ audience: verifier.audience, nonce: 'n' })).rejects.toThrow(/--holder-key, --aud and --nonce go together/);
    await expect(run({ holderKey: file('holder.jwk'), ...bind, nonce: '' })).rejects.toThrow(/go together/);
    await expect(run({ list: true, reveal: ['/results/x'] })).rejects.toThrow(/--list takes no --reveal/);
    await expect(run({ reveal: ['results/x'] })).rejects.toThrow(/--reveal takes JSON pointers/);
    await expect(run({ file: undefined })).rejects.toThrow(/needs the FILE/);

    expect(await run({ file: file('plain.jwt'), list: true })).toEqual({
      code: 2,
      stderr: expect.stringMatching(/not an SD-JWT \(malformed\)/),
    });
    expect(await run({ holderKey: file('public.jwk'), ...bind })).toEqual({
      code: 2,
      stderr: expect.stringMatching(/is a public key: signing needs the private JWK/),
    });
    expect(await run({ holderKey: file('stranger.jwk'), ...bind })).toEqual({
      code: 2,
      stderr: expect.stringMatching(/is not the key the credential is bound to \(cnf\.jwk\)/),
    });
  });
});
