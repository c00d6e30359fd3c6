import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logVerifyCommand } from '../../src/runtime/node/log-verify-command.ts';
import { openCheckpoint } from '../../src/transparency/checkpoint.ts';
import { parseVerifierKey } from '../../src/transparency/note.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';

/*
 * Replacing a tenant log's key (docs/transparency-log.md, The log key): what a witness that knew
 * the old key, a buyer holding an old trust bundle and an auditor comparing two bundles each
 * rely on across the change.
 */

interface Rotated {
  kid: string;
  retired_kid: string | null;
  verifier_key: string;
  size: number;
}

describe.each(engines())('rotating a tenant log’s key, on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  let dir: string;

  const text = async (path: string) => {
    const res = await h.request('GET', path);
    expect(res.status, path).toBe(200);
    return res.text();
  };
  const issue = async () => {
    const res = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt'] },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    await h.settleLog();
  };
  const rotate = () => h.request('POST', '/v1/t/acme/log/key/rotate', { token: h.adminToken });
  const origin = async () => (await text('/t/acme/log/checkpoint')).split('\n')[0]!;

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db);
    dir = await mkdtemp(join(tmpdir(), 'launchproof-log-key-'));
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
  });
  afterAll(async () => {
    await h?.sequencing.stop();
    await h?.exports.stop();
    await t?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('hands over from the old key to the new: the current checkpoint signed by both, later ones by the new key alone, every old one still opening', async () => {
    await issue();
    const oldKey = await text('/t/acme/log/key');
    const before = await text('/t/acme/log/checkpoint');
    const bundleBefore = await text('/t/acme/trust-bundle.json');
    const log = await origin();

    const res = await rotate();
    expect(res.status, await res.clone().text()).toBe(200);
    const rotated = (await res.json()) as Rotated;
    const newKey = await text('/t/acme/log/key');
    expect(newKey).toBe(rotated.verifier_key);
    expect(newKey).not.toBe(oldKey);
    expect(rotated.retired_kid).not.toBeNull();
    expect(rotated.kid).not.toBe(rotated.retired_kid);

    // The hand-over: the same tree, now signed by both keys.
    const handOver = await text('/t/acme/log/checkpoint');
    const byOld = await openCheckpoint(handOver, log, await parseVerifierKey(oldKey));
    const byNew = await openCheckpoint(handOver, log, await parseVerifierKey(newKey));
    const earlier = await openCheckpoint(before, log, await parseVerifierKey(oldKey));
    expect(byOld.checkpoint).toEqual(earlier.checkpoint);
    expect(byNew.checkpoint).toEqual(earlier.checkpoint);
    expect(rotated.size).toBe(earlier.checkpoint.size);

    // The DID document keeps the retired key beside the new one.
    const did = JSON.parse(await text('/t/acme/did.json')) as { verificationMethod: { id: string }[] };
    const methods = did.verificationMethod.map((m) => m.id);
    expect(methods.some((id) => id.endsWith(`#log-${rotated.retired_kid}`))).toBe(true);
    expect(methods.some((id) => id.endsWith(`#log-${rotated.kid}`))).toBe(true);

    // The next run signs with the new key alone.
    await issue();
    const after = await text('/t/acme/log/checkpoint');
    const opened = await openCheckpoint(after, log, await parseVerifierKey(newKey));
    expect(opened.checkpoint.size).toBe(earlier.checkpoint.size + 1);
    await expect(openCheckpoint(after, log, await parseVerifierKey(oldKey))).rejects.toMatchObject({ code: 'unverified_note' });

    // An auditor holding the bundle from before proves the log only grew since, across the change of key.
    const bundleAfter = await text('/t/acme/trust-bundle.json');
    await writeFile(join(dir, 'before.json'), bundleBefore);
    await writeFile(join(dir, 'after.json'), bundleAfter);
    const out: string[] = [];
    const err: string[] = [];
    const code = await logVerifyCommand(
      { from: join(dir, 'before.json'), to: join(dir, 'after.json'), attestation: undefined, at: undefined, json: true },
      (s) => void out.push(s),
      (s) => void err.push(s),
    );
    expect(code, err.join('') + out.join('')).toBe(0);
    const report = JSON.parse(out.join('')) as {
      consistent: boolean;
      from: { size: number; log_key: string };
      to: { size: number; log_key: string };
    };
    expect(report).toMatchObject({ consistent: true, from: { size: earlier.checkpoint.size }, to: { size: opened.checkpoint.size } });
    // Each bundle's checkpoint opened by the key it was signed with.
    expect(report.from.log_key).not.toBe(report.to.log_key);
  });

  it('is refused without the keys role, and for a tenant that does not exist', async () => {
    expect((await h.request('POST', '/v1/t/acme/log/key/rotate')).status).toBe(401);
    const auditor = await h.request('POST', '/v1/t/acme/api-keys', { token: h.adminToken, body: { roles: ['auditor'], label: 'auditor' } });
    expect(auditor.status, await auditor.clone().text()).toBe(201);
    const { token } = (await auditor.json()) as { token: string };
    const refused = await h.request('POST', '/v1/t/acme/log/key/rotate', { token });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const unknown = await h.request('POST', '/v1/t/nobody/log/key/rotate', { token: h.adminToken });
    expect([403, 404]).toContain(unknown.status);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
  });

  it('works on a log with no entry yet: the first checkpoint is signed by the new key', async () => {
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'fresh', name: 'Fresh' } })).status).toBe(201);
    const res = await h.request('POST', '/v1/t/fresh/log/key/rotate', { token: h.adminToken });
    expect(res.status, await res.clone().text()).toBe(200);
    const rotated = (await res.json()) as Rotated;
    expect(rotated.size).toBe(0);
    const issued = await h.request('POST', '/v1/t/fresh/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt'] },
    });
    expect(issued.status).toBe(201);
    await h.settleLog();
    const checkpoint = await text('/t/fresh/log/checkpoint');
    const opened = await openCheckpoint(checkpoint, checkpoint.split('\n')[0]!, await parseVerifierKey(rotated.verifier_key));
    expect(opened.checkpoint.size).toBeGreaterThan(0);
  });
});
