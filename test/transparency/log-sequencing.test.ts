import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logKeys } from '../../src/keys/key-store.ts';
import { logKeyVerifier } from '../../src/keys/log-key.ts';
import { withTenant } from '../../src/store/tenant-scope.ts';
import { openCheckpoint } from '../../src/transparency/checkpoint.ts';
import { parseEntry } from '../../src/transparency/entries.ts';
import { leafHash, rootOf } from '../../src/transparency/merkle.ts';
import { sequenceTenant } from '../../src/transparency/sequencer.ts';
import { appendEntries, entriesInRange, readHead } from '../../src/transparency/store.ts';
import { profilePublishedEntry } from '../../src/transparency/events.ts';
import { logSequencerDeps } from '../../src/use-cases/log-sequencer.ts';
import { sameBytes } from '../../src/util/bytes.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';

const utf8 = new TextEncoder();

describe.each(engines())('a tenant log, written with each change and sequenced after it, on $engine', ({ engine, open }) => {
  let t: TestDatabase;
  let h: Harness;

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db);
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
  });
  afterAll(async () => {
    await h.sequencing.stop();
    await t.dispose();
  });

  const issue = async () => {
    const res = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt', 'dc+sd-jwt'] },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as { attestation_id: string; credentials: { id: string; credential: string }[] };
  };

  /** The log as an auditor reads it: every entry, and the checkpoint opened with the log's published key. */
  async function audited() {
    return withTenant(t.db, 'acme', async (tx) => {
      const head = await readHead(tx, 'acme');
      expect(head).toBeDefined();
      const [key] = await logKeys(tx, 'acme');
      const { checkpoint } = await openCheckpoint(
        head!.checkpoint!,
        head!.origin,
        await logKeyVerifier({ origin: head!.origin, publicJwk: key!.publicJwk }),
      );
      const entries = await entriesInRange(tx, 'acme', 0, head!.size);
      return { head: head!, checkpoint, entries };
    });
  }

  it('holds the key events of the new tenant, an issuance and a status change, in one gapless tree its checkpoint signs', async () => {
    const issued = await issue();
    const res = await h.request('PATCH', `/v1/t/acme/attestations/${issued.attestation_id}/status`, {
      token: h.adminToken,
      body: { status: 'suspended', reason: 'audit in progress', public_reason: 'under review' },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    await h.settleLog();

    const { head, checkpoint, entries } = await audited();
    expect(head.origin).toBe('issuer.test/t/acme');
    expect(entries.map((e) => e.index)).toEqual(Array.from({ length: head.size }, (_, i) => i));
    const parsed = entries.map((e) => parseEntry(utf8.encode(e.body)));
    expect(parsed.map((e) => e.event.type)).toEqual([
      'key.created',
      'key.activated',
      'key.created',
      'attestation.issued',
      'status.changed',
    ]);
    const issuedEvent = parsed[3]!.event as { credentials: { id: string; sha256: string }[]; attestation: string };
    expect(issuedEvent.attestation).toBe(issued.attestation_id);
    const digests = await Promise.all(
      issued.credentials.map(async (c) =>
        Buffer.from(await crypto.subtle.digest('SHA-256', utf8.encode(c.credential))).toString('base64url'),
      ),
    );
    expect(issuedEvent.credentials.map((c) => c.sha256).sort()).toEqual(digests.sort());
    expect(parsed[4]!.event).toEqual({
      type: 'status.changed',
      attestation: issued.attestation_id,
      from: 'valid',
      to: 'suspended',
      reason: 'under review',
    });
    const root = await rootOf(await Promise.all(entries.map((e) => leafHash(utf8.encode(e.body)))));
    expect(checkpoint.size).toBe(head.size);
    expect(sameBytes(checkpoint.root, root)).toBe(true);
  });

  it('sequences what a rolled-back change wrote not at all, and what another writer committed later after what it has', async () => {
    const before = (await audited()).head.size;
    // A change that fails after its entry was written leaves no entry.
    const refused = await h.request('PATCH', '/v1/t/acme/attestations/00000000-0000-4000-8000-000000000000/status', {
      token: h.adminToken,
      body: { status: 'revoked', reason: 'x' },
    });
    expect(refused.status).toBe(404);
    await issue();
    await issue();
    await h.settleLog();
    const { head, entries } = await audited();
    expect(head.size).toBe(before + 2);
    expect(entries.map((e) => e.index)).toEqual(Array.from({ length: head.size }, (_, i) => i));
  });

  it('names the subject only by the SHA-256 of its name for a tenant that chose digests, and by its name otherwise', async () => {
    const created = await h.request('POST', '/v1/tenants', {
      token: h.adminToken,
      body: { id: 'quiet', name: 'Quiet', log_subjects: 'digest' },
    });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { log_subjects: string }).log_subjects).toBe('digest');
    const res = await h.request('POST', '/v1/t/quiet/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt'] },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    await h.settleLog();
    const bodies = await withTenant(t.db, 'quiet', async (tx) => entriesInRange(tx, 'quiet', 0, (await readHead(tx, 'quiet'))!.size));
    const issued = bodies.map((e) => parseEntry(utf8.encode(e.body))).find((e) => e.event.type === 'attestation.issued')!;
    const { organisation, product } = readinessAssessment().subject;
    const name = `${organisation} / ${product}`;
    expect((issued.event as { subject: unknown }).subject).toEqual({
      name_sha256: Buffer.from(await crypto.subtle.digest('SHA-256', utf8.encode(name))).toString('base64url'),
    });
    expect(bodies.some((e) => e.body.includes(organisation))).toBe(false);
    // acme kept the default: its entries name the subject.
    const acme = (await audited()).entries.map((e) => parseEntry(utf8.encode(e.body))).find((e) => e.event.type === 'attestation.issued')!;
    expect((acme.event as { subject: unknown }).subject).toEqual({ name });
  });

  it('carries a log past 20,000 entries in the trust bundle as its checkpoint and keys alone, and a smaller one whole', async () => {
    const bundleLog = async () => {
      const res = await h.request('GET', '/t/acme/trust-bundle.json');
      expect(res.status).toBe(200);
      const { payload } = (await res.json()) as { payload: string };
      return (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { log: { checkpoint: string; entries?: string[] } }).log;
    };
    await h.settleLog();
    const small = await bundleLog();
    expect(small.entries).toHaveLength((await audited()).head.size);
    const at = h.clock();
    await withTenant(t.db, 'acme', (tx) =>
      appendEntries(
        tx,
        'acme',
        Array.from({ length: 20_001 - small.entries!.length }, (_, i) =>
          profilePublishedEntry('acme', { id: 'bulk', version: String(i), digest: `sha256-${'A'.repeat(43)}=`, at }),
        ),
      ),
    );
    await h.settleLog();
    const large = await bundleLog();
    expect((await audited()).head.size).toBe(20_001);
    expect(large.entries).toBeUndefined();
    expect(large.checkpoint).toContain('\n20001\n');
  }, 120_000);

  it.skipIf(engine === 'pglite')('gives each entry one index when two sequencers of the tenant run side by side', async () => {
    const before = (await audited()).head.size;
    const deps = [logSequencerDeps(t.db, h.kek, h.config.publicUrl, h.clock), logSequencerDeps(t.db, h.kek, h.config.publicUrl, h.clock)];
    await h.sequencing.stop();
    const issuing = Promise.all(Array.from({ length: 40 }, () => issue()));
    const racing = (async () => {
      for (let i = 0; i < 20; i++) await Promise.all(deps.map((d) => sequenceTenant(d, 'acme')));
    })();
    await Promise.all([issuing, racing]);
    await Promise.all(deps.map((d) => sequenceTenant(d, 'acme')));
    const { head, entries } = await audited();
    expect(head.size).toBe(before + 40);
    expect(entries.map((e) => e.index)).toEqual(Array.from({ length: head.size }, (_, i) => i));
  });
});
