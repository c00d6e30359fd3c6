/**
 * The tenant log in the trust bundle, checked offline as an auditor checks it: `launchproof verify`
 * (the `log` check) and `launchproof log verify` as real child processes with the network refused,
 * over bundles the real service made. Tampered bundles are re-signed with the issuer's own key, as
 * an issuer lying about its log would serve them: the bundle's signature holds, the log must not.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import canonicalize from 'canonicalize';
import { FlattenedSign, base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeSigner } from '../../src/credentials/signer.ts';
import { logKeys } from '../../src/keys/key-store.ts';
import { logKeySigner } from '../../src/keys/log-key.ts';
import { withTenant } from '../../src/store/tenant-scope.ts';
import { checkpointText, parseCheckpoint } from '../../src/transparency/checkpoint.ts';
import { leafHash, rootOf } from '../../src/transparency/merkle.ts';
import { ed25519Signer, signNote } from '../../src/transparency/note.ts';
import { TRUST_BUNDLE_TYP, type TrustBundle } from '../../src/verify/trust-bundle.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { fixedClock, harness, ORIGIN, type Harness } from '../support/harness.ts';
import { offlineCli as cli } from '../support/offline-cli.ts';

const HOUR = 3_600_000;
const utf8 = new TextEncoder();

/** The bundle's log without its entries. */
function withoutEntries(log: NonNullable<TrustBundle['log']>): NonNullable<TrustBundle['log']> {
  const { entries: _entries, ...rest } = log;
  return rest;
}

interface Issued {
  attestation_id: string;
  credentials: { id: string; format: string; credential: string }[];
}

describe('the log in the trust bundle, checked offline', () => {
  let t: TestDatabase;
  let h: Harness;
  let dir: string;
  const file = (name: string) => join(dir, name);
  let t0: Date;
  let t1: Date;
  let a: Issued;
  let b: Issued;
  let older: TrustBundle;
  let newer: TrustBundle;
  let sizeBeforeB: number;

  const payloadOf = (text: string) =>
    JSON.parse(new TextDecoder().decode(base64url.decode((JSON.parse(text) as { payload: string }).payload))) as TrustBundle;

  /** The bundle re-signed with the issuer's active key, as the issuer's service would sign it. */
  async function signedByIssuer(bundle: unknown): Promise<string> {
    const signer = await withTenant(t.db, 'acme', (tx) => activeSigner(tx, h.kek, new URL(ORIGIN), 'acme', h.clock()));
    const jws = await new FlattenedSign(utf8.encode(JSON.stringify(bundle)))
      .setProtectedHeader({ alg: signer.alg, kid: signer.didUrl, typ: TRUST_BUNDLE_TYP })
      .sign(signer.key);
    return JSON.stringify({ protected: jws.protected, payload: jws.payload, signature: jws.signature });
  }

  /** A checkpoint over `entries`, signed with the tenant's real log key: a log the issuer really signed. */
  async function signedCheckpoint(entries: readonly string[]): Promise<string> {
    const [key] = await withTenant(t.db, 'acme', (tx) => logKeys(tx, 'acme'));
    const origin = newer.log!.origin;
    const signer = await logKeySigner(h.kek, 'acme', { origin, ...key! });
    const root = await rootOf(await Promise.all(entries.map((e) => leafHash(utf8.encode(e)))));
    return signNote(checkpointText({ origin, size: entries.length, root, extensions: [] }), [signer]);
  }

  /** A checkpoint of `size` entries the log key signs, whatever root: for a log too large to carry. */
  async function signedCheckpointOfSize(size: number): Promise<string> {
    const [key] = await withTenant(t.db, 'acme', (tx) => logKeys(tx, 'acme'));
    const origin = newer.log!.origin;
    const signer = await logKeySigner(h.kek, 'acme', { origin, ...key! });
    return signNote(checkpointText({ origin, size, root: crypto.getRandomValues(new Uint8Array(32)), extensions: [] }), [signer]);
  }

  const fetchBundle = async () => {
    await h.settleLog();
    const res = await h.request('GET', '/t/acme/trust-bundle.json');
    expect(res.status).toBe(200);
    return res.text();
  };
  const issue = async (formats: string[]) => {
    const res = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Issued;
  };
  const json = (r: { stdout: string }) =>
    JSON.parse(r.stdout) as Record<string, unknown> & { checks: { name: string; ok: boolean; code: string }[] };
  const logCheck = (r: { stdout: string }) => json(r).checks.find((c) => c.name === 'log');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'launchproof-log-'));
    // Two hours ago, so a run judged now finds every credential in its validity period.
    t0 = new Date(Math.floor((Date.now() - 2 * HOUR) / 1000) * 1000);
    t1 = new Date(t0.getTime() + HOUR);
    t = await freshPglite();
    h = await harness(t.db, { clock: fixedClock(t0) });
    for (const [id, name] of [
      ['acme', 'Acme'],
      ['globex', 'Globex'],
    ])
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name } })).status).toBe(201);
    a = await issue(['vc+jwt', 'dc+sd-jwt']);
    const olderText = await fetchBundle();
    older = payloadOf(olderText);
    sizeBeforeB = older.log!.entries!.length;
    // Same instant, so a bundle cached for the old checkpoint would be served if the cache missed the log.
    b = await issue(['vc+jwt', 'dc+sd-jwt']);
    const midText = await fetchBundle();
    h.clock.set(t1);
    const res = await h.request('PATCH', `/v1/t/acme/attestations/${a.attestation_id}/status`, {
      token: h.adminToken,
      body: { status: 'suspended', reason: 'audit', public_reason: 'under review' },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const newerText = await fetchBundle();
    newer = payloadOf(newerText);
    const globex = payloadOf(await (async () => (await h.request('GET', '/t/globex/trust-bundle.json')).text())());

    const sd = (i: Issued) => i.credentials.find((c) => c.format === 'dc+sd-jwt')!.credential;
    const vc = (i: Issued) => i.credentials.find((c) => c.format === 'vc+jwt')!.credential;
    const aEntries = newer.log!.entries!;
    const issuanceOfB = aEntries.findIndex((e) => e.includes('"attestation.issued"') && e.includes(b.attestation_id));
    const changeOfA = aEntries.findIndex((e) => e.includes('"status.changed"'));
    // The status change made to say "revoked": canonical, so only the root can tell.
    const rewritten = canonicalize({ ...(JSON.parse(aEntries[changeOfA]!) as object), to: 'revoked' })!;
    const rewrittenEntries = aEntries.map((e, i) => (i === changeOfA ? rewritten : e));
    const withoutB = aEntries.filter((_, i) => i !== issuanceOfB);

    // Another Ed25519 key, under the log's own name: a checkpoint forged to look like the log's.
    const forger = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const forgerPublic = new Uint8Array(await crypto.subtle.exportKey('raw', forger.publicKey));
    const forgedNote = await signNote(newer.log!.checkpoint.slice(0, newer.log!.checkpoint.indexOf('\n\n') + 1), [
      await ed25519Signer(newer.log!.origin, forger.privateKey, forgerPublic),
    ]);

    const { log: _log, ...withoutLog } = newer;
    // Made before the log: no log, and no log key in its DID document either.
    const preLog = {
      ...withoutLog,
      did_document: {
        ...withoutLog.did_document,
        verificationMethod: (withoutLog.did_document.verificationMethod as { id: string }[]).filter((m) => !m.id.includes('#log-')),
      },
    };
    // A log that began after B was signed (its first entry is A's status change); and one that
    // began as late but holds the creation of the key B is signed with, so B's date cannot excuse it.
    const header = JSON.parse(new TextDecoder().decode(base64url.decode(vc(b).split('.')[0]!))) as { kid: string };
    const kid = header.kid.split('#')[1]!;
    const keyCreated = aEntries.find((e) => e.includes('"key.created"') && e.includes(kid))!;
    const lateLog = [aEntries[changeOfA]!];
    const lateLogWithKey = [aEntries[changeOfA]!, keyCreated];
    const beforeChange = aEntries.slice(0, changeOfA);
    await Promise.all([
      writeFile(file('older.json'), olderText),
      writeFile(file('mid.json'), midText),
      writeFile(file('newer.json'), newerText),
      writeFile(file('a.jwt'), vc(a)),
      writeFile(file('b.jwt'), vc(b)),
      writeFile(file('b.sd-jwt'), sd(b)),
      // A presentation revealing nothing: the issuer-signed JWT alone finds the entry.
      writeFile(file('b-presented.sd-jwt'), `${sd(b).split('~')[0]}~`),
      writeFile(file('no-log.json'), await signedByIssuer(preLog)),
      // A log too large to carry comes as its checkpoint alone; a small one without its entries was cut.
      writeFile(
        file('too-large.json'),
        await signedByIssuer({ ...newer, log: { ...withoutEntries(newer.log!), checkpoint: await signedCheckpointOfSize(20_001) } }),
      ),
      writeFile(file('entries-dropped.json'), await signedByIssuer({ ...newer, log: withoutEntries(newer.log!) })),
      // The log left out of a bundle whose DID document names the log key.
      writeFile(file('stripped.json'), await signedByIssuer(withoutLog)),
      writeFile(file('gap.json'), await signedByIssuer({ ...newer, log: { ...newer.log!, entries: withoutB } })),
      writeFile(file('rewritten.json'), await signedByIssuer({ ...newer, log: { ...newer.log!, entries: rewrittenEntries } })),
      writeFile(file('other-log.json'), await signedByIssuer({ ...newer, log: { ...newer.log!, checkpoint: globex.log!.checkpoint } })),
      writeFile(file('forged.json'), await signedByIssuer({ ...newer, log: { ...newer.log!, checkpoint: forgedNote } })),
      // The issuer's own log key signs a log without B's issuance: a credential issued and not logged.
      writeFile(
        file('hidden.json'),
        await signedByIssuer({ ...newer, log: { ...newer.log!, entries: withoutB, checkpoint: await signedCheckpoint(withoutB) } }),
      ),
      writeFile(
        file('late-log.json'),
        await signedByIssuer({ ...newer, log: { ...newer.log!, entries: lateLog, checkpoint: await signedCheckpoint(lateLog) } }),
      ),
      writeFile(
        file('late-log-key.json'),
        await signedByIssuer({
          ...newer,
          log: { ...newer.log!, entries: lateLogWithKey, checkpoint: await signedCheckpoint(lateLogWithKey) },
        }),
      ),
      // Lists read just before A's suspension beside the log just after it, as a bundle made while it
      // committed can hold them; and the same, a bundle made two minutes later (then it is a lie).
      writeFile(file('in-flight.json'), await signedByIssuer({ ...newer, status_lists: payloadOf(midText).status_lists })),
      writeFile(
        file('stale-lists.json'),
        await signedByIssuer({
          ...newer,
          status_lists: payloadOf(midText).status_lists,
          generated_at: new Date(t1.getTime() + 120_000).toISOString(),
        }),
      ),
      // Lists that show A suspended beside a log that never suspended it.
      writeFile(
        file('behind.json'),
        await signedByIssuer({ ...newer, log: { ...newer.log!, entries: beforeChange, checkpoint: await signedCheckpoint(beforeChange) } }),
      ),
      // The issuer's own log key signs a second log of the same size: a fork.
      writeFile(
        file('forked.json'),
        await signedByIssuer({
          ...newer,
          log: { ...newer.log!, entries: rewrittenEntries, checkpoint: await signedCheckpoint(rewrittenEntries) },
        }),
      ),
    ]);
  });
  afterAll(async () => {
    await h?.sequencing.stop();
    await t?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('carries the checkpoint, the log keys and every entry; a new checkpoint reaches the very next bundle', async () => {
    const log = newer.log!;
    expect(log.origin).toBe('issuer.test/t/acme');
    const checkpoint = parseCheckpoint(log.checkpoint.slice(0, log.checkpoint.indexOf('\n\n') + 1));
    expect(checkpoint.size).toBe(log.entries!.length);
    expect(log.keys).toHaveLength(1);
    expect(log.keys[0]!.verifier_key).toMatch(/^issuer\.test\/t\/acme\+[0-9a-f]{8}\+/);
    const mid = payloadOf(await readFile(file('mid.json'), 'utf8'));
    expect(mid.log!.entries!.length).toBe(sizeBeforeB + 1);
    expect(log.entries!.length).toBe(sizeBeforeB + 2);
  });

  it('verifies a logged credential with the log check ok, as issued and as an SD-JWT presentation, with no network', async () => {
    const [text, issued, presented] = await Promise.all([
      cli('verify', file('b.jwt'), '--bundle', file('newer.json')),
      cli('verify', file('b.sd-jwt'), '--bundle', file('newer.json'), '--json'),
      cli('verify', file('b-presented.sd-jwt'), '--bundle', file('newer.json'), '--json'),
    ]);
    expect(text.stderr).toBe('');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(
      /✓ log +ok: issuance entry \d+ of \d+, proved included under the signed checkpoint; status in the log: valid/,
    );
    expect(text.stdout).toMatch(/log +issuer\.test\/t\/acme, checkpoint of \d+ entries signed by log key /);
    for (const r of [issued, presented]) {
      expect(r.status, r.stderr).toBe(0);
      expect(logCheck(r)).toMatchObject({ ok: true, code: 'ok' });
      expect(json(r).log).toMatchObject({ origin: 'issuer.test/t/acme', attestation: b.attestation_id, status: { value: 'valid' } });
    }
  });

  it('gives the status at --at from the log alone, and finds the log agreeing with the lists on a suspension', async () => {
    const before = new Date(t0.getTime() + HOUR / 2).toISOString();
    const [past, now] = await Promise.all([
      cli('verify', file('a.jwt'), '--bundle', file('newer.json'), '--at', before, '--json'),
      cli('verify', file('a.jwt'), '--bundle', file('newer.json'), '--json'),
    ]);
    // Suspended in the lists, so not verified; the log agrees (its check passes) and tells when.
    for (const r of [past, now]) {
      expect(r.status).toBe(1);
      expect(json(r).checks.find((c) => !c.ok)).toMatchObject({ name: 'status', code: 'suspended' });
      expect(logCheck(r)).toMatchObject({ ok: true, code: 'ok' });
    }
    const issuance = (json(past).log as { index: number }).index;
    expect(json(past).log).toMatchObject({ status_at: { value: 'valid', index: issuance, asked: before } });
    expect(json(now).log).toMatchObject({ status: { value: 'suspended', at: t1.toISOString() }, status_at: { value: 'suspended' } });
  });

  it('passes the log check with a remark for a log too large for the bundle to carry its entries', async () => {
    const r = await cli('verify', file('b.jwt'), '--bundle', file('too-large.json'), '--json');
    expect(r.status, r.stderr).toBe(0);
    expect(logCheck(r)).toMatchObject({ ok: true, code: 'log_not_carried' });
    const compared = await cli('log', 'verify', '--from', file('older.json'), '--to', file('too-large.json'));
    expect(compared.status).toBe(2);
    expect(compared.stderr).toMatch(/carries its log's checkpoint only/);
  });

  it('passes the log check with a remark for a bundle made before the log', async () => {
    const r = await cli('verify', file('b.jwt'), '--bundle', file('no-log.json'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✓ log +no_log: the trust bundle carries no transparency log/);
  });

  it('names each way a bundle’s log can fail, and fails the verdict (exit 1)', async () => {
    const cases = [
      ['gap.json', 'log_gap'],
      ['rewritten.json', 'log_rewritten_entry'],
      ['other-log.json', 'log_other_log'],
      ['forged.json', 'log_forged_checkpoint'],
      ['hidden.json', 'not_in_log'],
      ['stripped.json', 'log_missing'],
      ['entries-dropped.json', 'log_gap'],
    ] as const;
    const runs = await Promise.all(cases.map(([bundle]) => cli('verify', file('b.jwt'), '--bundle', file(bundle))));
    runs.forEach((r, i) => {
      const [bundle, code] = cases[i]!;
      expect(r.status, `${bundle}: ${r.stderr}`).toBe(1);
      expect(r.stdout, bundle).toMatch(new RegExp(`^NOT VERIFIED: log ${code}\\n`));
      expect(r.stdout, bundle).toMatch(new RegExp(`✗ log +${code}: `));
    });
  });

  it('fails the log check when the log and the lists disagree on a status, or the issuer logged a key but not its credential', async () => {
    const [behind, late, lateWithKey] = await Promise.all([
      cli('verify', file('a.jwt'), '--bundle', file('behind.json'), '--json'),
      cli('verify', file('b.jwt'), '--bundle', file('late-log.json')),
      cli('verify', file('b.jwt'), '--bundle', file('late-log-key.json')),
    ]);
    expect(behind.status).toBe(1);
    expect(logCheck(behind)).toMatchObject({ ok: false, code: 'log_status_mismatch' });
    const [inFlight, stale] = await Promise.all([
      cli('verify', file('a.jwt'), '--bundle', file('in-flight.json'), '--json'),
      cli('verify', file('a.jwt'), '--bundle', file('stale-lists.json'), '--json'),
    ]);
    expect(logCheck(inFlight)).toMatchObject({ ok: true, code: 'status_in_flight' });
    expect(logCheck(stale)).toMatchObject({ ok: false, code: 'log_status_mismatch' });
    // Issued before the log's first entry: the log cannot hold it, and says so without failing.
    expect(late.status, late.stderr).toBe(0);
    expect(late.stdout).toMatch(/✓ log +issued_before_log: issued /);
    expect(lateWithKey.status).toBe(1);
    expect(lateWithKey.stdout).toMatch(/✗ log +not_in_log: /);
  });

  it('log verify: the newer bundle extends the older one, listing exactly the events in between', async () => {
    const [text, asJson] = await Promise.all([
      cli('log', 'verify', '--from', file('older.json'), '--to', file('newer.json')),
      cli('log', 'verify', '--from', file('older.json'), '--to', file('newer.json'), '--json'),
    ]);
    expect(text.stderr).toBe('');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^CONSISTENT\n/);
    expect(text.stdout).toContain(`entries ${sizeBeforeB} to ${sizeBeforeB + 1} (2)`);
    expect(text.stdout).toContain(`attestation ${a.attestation_id} valid -> suspended (under review)`);
    const r = JSON.parse(asJson.stdout) as { consistent: boolean; entries: { index: number; type: string; at: string; summary: string }[] };
    expect(asJson.status).toBe(0);
    expect(r.consistent).toBe(true);
    expect(r.entries.map((e) => [e.index, e.type, e.at])).toEqual([
      [sizeBeforeB, 'attestation.issued', t0.toISOString()],
      [sizeBeforeB + 1, 'status.changed', t1.toISOString()],
    ]);
    expect(r.entries[0]!.summary).toContain(b.attestation_id);
  });

  it('log verify names a fork, a rewritten entry with its index, and a gap (exit 1); a bundle with no log is exit 2', async () => {
    const changed = newer.log!.entries!.findIndex((e) => e.includes('"status.changed"'));
    const [fork, rewritten, gap, noLog] = await Promise.all([
      cli('log', 'verify', '--from', file('newer.json'), '--to', file('forked.json'), '--json'),
      cli('log', 'verify', '--from', file('newer.json'), '--to', file('rewritten.json')),
      cli('log', 'verify', '--from', file('older.json'), '--to', file('gap.json')),
      cli('log', 'verify', '--from', file('no-log.json'), '--to', file('newer.json')),
    ]);
    expect(fork.status).toBe(1);
    const forked = JSON.parse(fork.stdout) as { consistent: boolean; problems: unknown[] };
    expect(forked.consistent).toBe(false);
    expect(forked.problems).toEqual(
      expect.arrayContaining([
        { kind: 'fork', size: newer.log!.entries!.length },
        { kind: 'rewritten_entry', index: changed },
      ]),
    );
    expect(rewritten.status).toBe(1);
    expect(rewritten.stdout).toMatch(/^NOT CONSISTENT: bad_log\n/);
    expect(rewritten.stdout).toContain(`rewritten entry: entry ${changed} differs between the two bundles`);
    expect(gap.status).toBe(1);
    expect(gap.stdout).toMatch(/log_gap/);
    expect(noLog.status).toBe(2);
    expect(noLog.stderr).toMatch(/carries no transparency log; nothing was compared/);
  });

  it('log verify --attestation --at: the status at a past instant and now, and the entry that set it', async () => {
    const before = new Date(t0.getTime() + HOUR / 2).toISOString();
    const [past, now, unknown] = await Promise.all([
      cli('log', 'verify', '--to', file('newer.json'), '--attestation', a.attestation_id, '--at', before),
      cli('log', 'verify', '--to', file('newer.json'), '--attestation', a.attestation_id, '--json'),
      cli('log', 'verify', '--to', file('newer.json'), '--attestation', '00000000-0000-4000-8000-000000000000'),
    ]);
    expect(past.status, past.stderr).toBe(0);
    expect(past.stdout).toMatch(
      new RegExp(`attestation ${a.attestation_id} at ${before}: valid \\(set by entry \\d+ at ${t0.toISOString()}\\)`),
    );
    expect(now.status).toBe(0);
    expect(JSON.parse(now.stdout)).toMatchObject({
      attestation: { id: a.attestation_id, in_log: true, status: 'suspended', entry: sizeBeforeB + 1, set_at: t1.toISOString() },
    });
    expect(unknown.status).toBe(1);
    expect(unknown.stdout).toMatch(/not in the log/);
  });
});
