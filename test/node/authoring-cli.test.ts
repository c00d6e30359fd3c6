/**
 * Writing an assessment from the command line, as a tenant does it: real child processes with
 * no network (the no-network fixture fails any attempt) and no configuration (a broken one is
 * set: a command that read it would exit 2 for that). The template is filled with the digest
 * command's own entries and evaluated; the holder key it makes is bound into a credential by
 * the real app and then used by `launchproof present`.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTenantOf } from '../../src/verify/local-keys.ts';
import { databaseKeys } from '../support/verify-env.ts';
import { verifyCredential } from '../../src/verify/pipeline.ts';
import {
  builtinProfiles,
  evaluateAssessment,
  parseAssessment,
  pinProfile,
  profileControls,
  type Assessment,
  type Evidence,
  type Profile,
} from '../../src/readiness/index.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { fixedClock, harness, ORIGIN, type Harness } from '../support/harness.ts';
import { offlineCli as cli } from '../support/offline-cli.ts';

/** Everything a profile asks for beyond its results, given by hand as the template's guidance says. */
function completed(profile: Profile, template: Assessment, evidence: Evidence[]): Assessment {
  return {
    ...template,
    subject: { organisation: 'Acme Corp', product: 'Acme Cloud', productionUrl: 'https://app.acme.example' },
    results: template.results.map((r) => ({ control: r.control, status: 'pass', evidence })),
    signOffs: profile.signOffs.map((s) => ({ role: s.role, name: 'A. Person', signedAt: '2026-11-01T09:00:00Z' })),
    ...(profile.acceptance ? { acceptance: { decision: 'accepted', decidedBy: 'Globex', decidedAt: '2026-11-02T09:00:00Z' } } : {}),
  };
}

describe('launchproof assessment template, evidence digest, holder-key new', () => {
  let dir: string;
  const file = (name: string) => join(dir, name);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'launchproof-authoring-'));
    await writeFile(file('load-test.json'), '{"p99_ms": 212, "errors": 0}\n');
    await writeFile(file('runbook.md'), '# Restore\n\nStep one: breathe.\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('digests evidence as SHA-256 in SRI form, matching node:crypto and openssl, in the shape an assessment takes', async () => {
    const r = await cli(
      'evidence',
      'digest',
      file('load-test.json'),
      file('runbook.md'),
      '--collected-by',
      'release pipeline',
      '--collected-at',
      '2026-11-01T08:00:00Z',
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const entries = JSON.parse(r.stdout) as Evidence[];
    for (const [i, name] of ['load-test.json', 'runbook.md'].entries()) {
      const bytes = await readFile(file(name));
      const expected = `sha256-${createHash('sha256').update(bytes).digest('base64')}`;
      expect(entries[i]!.digestSRI).toBe(expected);
      expect(entries[i]!.uri).toBe(`urn:sha256:${createHash('sha256').update(bytes).digest('hex')}`);
      const openssl = spawnSync('sh', ['-c', `openssl dgst -sha256 -binary "${file(name)}" | base64`], { encoding: 'utf8' });
      if (openssl.status === 0) expect(entries[i]!.digestSRI).toBe(`sha256-${openssl.stdout.trim()}`);
    }
    expect(entries.map((e) => e.mediaType)).toEqual(['application/json', 'text/markdown']);
    expect(entries[0]).toMatchObject({ collectedAt: '2026-11-01T08:00:00Z', collectedBy: 'release pipeline' });
    // The exact shape of a result's evidence: a pass carrying these entries is accepted as it is.
    const builtin = builtinProfiles()[0]!;
    const [control] = profileControls(builtin);
    expect(() =>
      parseAssessment({
        profile: { id: builtin.id, version: builtin.version },
        subject: { organisation: 'A', product: 'B', productionUrl: 'https://app.acme.example' },
        results: [{ control: control!.id, status: 'pass', evidence: entries }],
      }),
    ).not.toThrow();

    const under = await cli(
      'evidence',
      'digest',
      file('runbook.md'),
      '--collected-by',
      'ci',
      '--base-url',
      'https://evidence.acme.example/2026',
    );
    expect(JSON.parse(under.stdout)[0].uri).toBe('https://evidence.acme.example/2026/runbook.md');
    const refused = await Promise.all([
      cli('evidence', 'digest', file('runbook.md')),
      cli('evidence', 'digest', file('missing.json'), '--collected-by', 'ci'),
    ]);
    expect(refused.map((x) => x.status)).toEqual([2, 2]);
    expect(refused[0]!.stderr).toMatch(/--collected-by NAME/);
    expect(refused[1]!.stderr).toMatch(/cannot read evidence .*missing\.json: ENOENT/);
  });

  it('writes a template of every control of each built-in profile that parses, and evaluates once filled in', async () => {
    const evidence = JSON.parse(
      (
        await cli(
          'evidence',
          'digest',
          file('load-test.json'),
          '--collected-by',
          'release pipeline',
          '--collected-at',
          '2026-11-01T08:00:00Z',
        )
      ).stdout,
    ) as Evidence[];
    const profiles = builtinProfiles();
    const runs = await Promise.all(profiles.map((p) => cli('assessment', 'template', '--profile', `${p.id}@${p.version}`)));
    for (const [i, profile] of profiles.entries()) {
      const r = runs[i]!;
      expect(r.status, r.stderr).toBe(0);
      const template = parseAssessment(JSON.parse(r.stdout));
      const controls = profileControls(profile);
      expect(template.results.map((x) => x.control)).toEqual(controls.map((c) => c.id));
      for (const [k, c] of controls.entries()) {
        expect(template.results[k]!.note).toContain(c.title);
        expect(template.results[k]!.status).toBe('fail');
      }
      for (const s of profile.signOffs.filter((x) => x.required)) expect(r.stderr).toContain(s.role);
      if (profile.acceptance) expect(r.stderr).toContain('acceptance');

      const pinned = await pinProfile(profile);
      // As written: it evaluates (nothing is refused), and every required control blocks.
      const unfilled = evaluateAssessment(pinned, template);
      expect(unfilled.blockers.map((b) => b.control)).toEqual(controls.filter((c) => c.required).map((c) => c.id));
      const verdict = evaluateAssessment(pinned, completed(profile, template, evidence));
      expect(verdict.blockers).toEqual([]);
      expect(verdict.stage).toBe(profile.stages.at(-1)!.id);
      expect(verdict.strictGatePassed).toBe(true);
    }
    const unknown = await cli('assessment', 'template', '--profile', 'no-such-profile@9.9.9');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/no built-in profile no-such-profile@9\.9\.9; built-in: production-/);
  });

  describe('a holder key that works for present', () => {
    let t: TestDatabase;
    let h: Harness;
    beforeAll(async () => {
      t = await freshPglite();
      // Issued a minute ago, so the credential is valid when the child binds it, now.
      h = await harness(t.db, { clock: fixedClock(new Date(Date.now() - 60_000)) });
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
    });
    afterAll(async () => {
      await t?.dispose();
    });

    it('writes the private JWK owner-only, never over an existing file, prints the public one, and present signs with it', async () => {
      const made = await cli('holder-key', 'new', file('holder.private.jwk'));
      expect(made.stderr).toBe('');
      expect(made.status).toBe(0);
      expect((await stat(file('holder.private.jwk'))).mode & 0o777).toBe(0o600);
      const publicJwk = JSON.parse(made.stdout) as Record<string, string>;
      expect(publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
      expect(publicJwk).not.toHaveProperty('d');
      const privateText = await readFile(file('holder.private.jwk'), 'utf8');
      expect(JSON.parse(privateText)).toMatchObject({ ...publicJwk, d: expect.any(String) });

      const again = await cli('holder-key', 'new', file('holder.private.jwk'));
      expect(again.status).toBe(2);
      expect(again.stderr).toMatch(/exists: a holder key is never overwritten/);
      expect(again.stdout).toBe('');
      expect(await readFile(file('holder.private.jwk'), 'utf8')).toBe(privateText);

      const evidence = JSON.parse((await cli('evidence', 'digest', file('runbook.md'), '--collected-by', 'ci')).stdout) as Evidence[];
      const profile = builtinProfiles().find((p) => p.id === 'production-readiness-review')!;
      const template = JSON.parse(
        (await cli('assessment', 'template', '--profile', `${profile.id}@${profile.version}`)).stdout,
      ) as Assessment;
      const res = await h.request('POST', '/v1/t/acme/attestations', {
        token: h.adminToken,
        body: { assessment: completed(profile, template, evidence), formats: ['dc+sd-jwt'], holder: { jwk: publicJwk } },
      });
      expect(res.status, await res.clone().text()).toBe(201);
      const credential = ((await res.json()) as { credentials: { credential: string }[] }).credentials[0]!.credential;
      await writeFile(file('credential.sd-jwt'), `${credential}\n`);

      const verifier = { audience: 'https://buyer.example', nonce: 'contract-2026-11' };
      const presented = await cli(
        'present',
        file('credential.sd-jwt'),
        '--reveal',
        `/results/${template.results[0]!.control}`,
        '--holder-key',
        file('holder.private.jwk'),
        '--aud',
        verifier.audience,
        '--nonce',
        verifier.nonce,
      );
      expect(presented.stderr).toBe('');
      expect(presented.status).toBe(0);
      const origin = new URL(ORIGIN);
      const result = await verifyCredential(
        presented.stdout.trim(),
        {
          keys: databaseKeys(t.db, origin),
          statusLists: { fetch: async (url) => (await h.request('GET', new URL(url).pathname)).text() },
          isTrusted: (issuer) => localTenantOf(origin, issuer) !== undefined,
          now: new Date(),
          skewSeconds: 60,
        },
        { keyBinding: verifier },
      );
      expect(result.checks.filter((c) => !c.ok)).toEqual([]);
      expect(result.verified).toBe(true);
    });
  });
});
