/**
 * `launchproof audit verify` as an auditor runs it: a real child process, one file, no network,
 * no configuration (offline-cli.ts). Packages come from the service itself (built and downloaded
 * as in test/transparency/audit-export.test.ts), then are tampered with the way a vendor
 * rewriting history would, and each tampering must be named.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logKeys } from '../../src/keys/key-store.ts';
import { logVerifierKey } from '../../src/keys/log-key.ts';
import { withTenant } from '../../src/store/tenant-scope.ts';
import { ed25519Signer, signNote, verifierKey } from '../../src/transparency/note.ts';
import { readZip, writeZip } from '../../src/util/zip.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { offlineCli } from '../support/offline-cli.ts';

type Wire = {
  log: { origin: string; checkpoint: string; keys: string[] };
  entries: { index: number; entry: string; leaf_hash: string; inclusion_proof: string[] }[];
};

describe('launchproof audit verify, offline', () => {
  let t: TestDatabase;
  let h: Harness;
  let dir: string;
  let vkey: string;
  let otherVkey: string;
  const packages: Record<string, Uint8Array> = {};

  const file = (name: string) => join(dir, name);

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    dir = await mkdtemp(join(tmpdir(), 'launchproof-audit-verify-'));
    for (const id of ['acme', 'other'])
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: id } })).status).toBe(201);
    const auditor = (await (
      await h.request('POST', '/v1/t/acme/api-keys', { token: h.adminToken, body: { roles: ['auditor'] } })
    ).json()) as {
      token: string;
    };
    const issued = (await (
      await h.request('POST', '/v1/t/acme/attestations', {
        token: h.adminToken,
        body: { assessment: readinessAssessment(), formats: ['vc+jwt'] },
      })
    ).json()) as { attestation_id: string };
    await h.request('PATCH', `/v1/t/acme/attestations/${issued.attestation_id}/status`, {
      token: h.adminToken,
      body: { status: 'suspended', reason: 'audit', public_reason: 'under review' },
    });
    for (const format of ['json', 'csv', 'zip']) {
      const asked = (await (
        await h.request('POST', '/v1/t/acme/audit-exports', {
          token: auditor.token,
          body: { from: '2025-12-31T00:00:00Z', to: '2026-01-02T00:00:00Z', format },
        })
      ).json()) as { download_url: string };
      await h.settleExports();
      const u = new URL(asked.download_url);
      const res = await h.request('GET', `${u.pathname}${u.search}`);
      expect(res.status).toBe(200);
      packages[format] = new Uint8Array(await res.arrayBuffer());
    }
    await h.settleLog();
    const vkeyOf = (tenant: string) =>
      withTenant(t.db, tenant, async (tx) => {
        const [key] = await logKeys(tx, tenant);
        return logVerifierKey({ origin: `issuer.test/t/${tenant}`, publicJwk: key!.publicJwk });
      });
    vkey = await vkeyOf('acme');
    otherVkey = await vkeyOf('other');
  });
  afterAll(async () => {
    await h.sequencing.stop();
    await h.exports.stop();
    await t.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const json = () => JSON.parse(new TextDecoder().decode(packages.json)) as Wire;
  /** Writes `text` as a package and runs the command on it. */
  const verify = async (name: string, content: string | Uint8Array, ...args: string[]) => {
    await writeFile(file(name), content);
    return offlineCli('audit', 'verify', file(name), ...args);
  };
  const problems = (stdout: string) => (JSON.parse(stdout) as { problems: { code: string; index?: number }[] }).problems;

  /** A signed note of the same checkpoint text by a key of the same name: what a vendor holding another key could make. */
  async function resignedByAnotherKey(note: string, origin: string) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(-32));
    const key = await crypto.subtle.importKey('pkcs8', privateKey.export({ format: 'der', type: 'pkcs8' }), { name: 'Ed25519' }, false, [
      'sign',
    ]);
    const text = note.slice(0, note.indexOf('\n\n') + 1);
    return { note: await signNote(text, [await ed25519Signer(origin, key, raw)]), vkey: await verifierKey(origin, raw) };
  }

  it('verifies the untouched package in each format, pinned or not, and says what it proved', async () => {
    const runs = await Promise.all([
      verify('ok.json', packages.json!, '--expect-key', vkey),
      verify('ok.csv', packages.csv!, '--expect-key', vkey),
      verify('ok.zip', packages.zip!),
    ]);
    for (const r of runs) expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(runs[0]!.stdout).toMatch(/^VERIFIED: audit export \(json\) of the log issuer\.test\/t\/acme\n/);
    expect(runs[0]!.stdout).toContain('5 entries');
    expect(runs[0]!.stdout).toContain(`signed by:  ${vkey.split('+').slice(0, 2).join('+')}`);
  });

  it('names each tampering: a rewritten entry, a changed proof, a checkpoint re-signed or altered, another log’s key', async () => {
    const rewritten = json();
    const suspended = rewritten.entries.findIndex((e) => e.entry.includes('"to":"suspended"'));
    rewritten.entries[suspended]!.entry = rewritten.entries[suspended]!.entry.replace('"to":"suspended"', '"to":"revoked"');

    const badProof = json();
    const proof = badProof.entries[1]!.inclusion_proof;
    proof[0] = `${proof[0]![0] === '0' ? '1' : '0'}${proof[0]!.slice(1)}`;

    const resigned = json();
    const another = await resignedByAnotherKey(resigned.log.checkpoint, resigned.log.origin);
    resigned.log.checkpoint = another.note;
    // The vendor swaps the key the package carries too: only a pinned key catches that.
    const swapped = { ...resigned, log: { ...resigned.log, keys: [another.vkey] } };

    const altered = json();
    const lines = altered.log.checkpoint.split('\n');
    lines[1] = String(Number(lines[1]) + 1);
    altered.log.checkpoint = lines.join('\n');

    const s = (v: unknown) => JSON.stringify(v);
    const [r1, r2, r3, r4, r5, r6, r7] = await Promise.all([
      verify('rewritten.json', s(rewritten), '--json'),
      verify('proof.json', s(badProof), '--json', '--expect-key', vkey),
      verify('resigned.json', s(resigned), '--json'),
      verify('swapped.json', s(swapped), '--json', '--expect-key', vkey),
      verify('swapped-unpinned.json', s(swapped), '--json'),
      verify('altered.json', s(altered), '--json', '--expect-key', vkey),
      verify('other.json', packages.json!, '--json', '--expect-key', otherVkey),
    ]);
    for (const r of [r1, r2, r3, r4, r6, r7]) expect(r!.status, r!.stderr).toBe(1);
    expect(problems(r1!.stdout)).toEqual([
      { code: 'rewritten_entry', index: rewritten.entries[suspended]!.index, message: expect.any(String) },
    ]);
    expect(problems(r2!.stdout)).toEqual([{ code: 'bad_proof', index: 1, message: expect.any(String) }]);
    expect(problems(r3!.stdout).map((p) => p.code)).toEqual(['unsigned_checkpoint']);
    expect(problems(r4!.stdout).map((p) => p.code)).toEqual(['unsigned_checkpoint']);
    // Unpinned, a package is only as good as the key it carries: why the README and the usage say to pin.
    expect(r5!.status).toBe(0);
    expect(problems(r6!.stdout).map((p) => p.code)).toEqual(['forged_checkpoint']);
    expect(problems(r7!.stdout).map((p) => p.code)).toEqual(['other_log']);
  });

  it('finds a rewritten entry in the CSV alone, and refuses a zip whose CSV and JSON disagree', async () => {
    const csv = new TextDecoder().decode(packages.csv).replace('""to"":""suspended""', '""to"":""revoked""');
    const files = readZip(packages.zip!);
    const tampered = writeZip(
      files.map((f) => (f.name === 'entries.csv' ? { name: f.name, data: new TextEncoder().encode(csv) } : f)),
      new Date(),
    );
    const [r1, r2] = await Promise.all([verify('rewritten.csv', csv, '--json', '--expect-key', vkey), verify('mixed.zip', tampered)]);
    expect(r1.status, r1.stderr).toBe(1);
    expect(problems(r1.stdout).map((p) => p.code)).toEqual(['rewritten_entry']);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain('package.json and entries.csv of the zip differ');
  });

  it('exits 2 for a file that is not a package, a missing file, or a key that is not a verifier key', async () => {
    const [r1, r2, r3, r4] = await Promise.all([
      verify('nothing.txt', 'hello'),
      offlineCli('audit', 'verify', file('does-not-exist.json')),
      verify('ok2.json', packages.json!, '--expect-key', 'not a key'),
      offlineCli('audit', 'verify'),
    ]);
    for (const r of [r1, r2, r3, r4]) expect(r.status, r.stderr).toBe(2);
    expect(r1.stderr).toContain('neither JSON, CSV nor zip');
    expect(r3.stderr).toContain('--expect-key');
  });
});
