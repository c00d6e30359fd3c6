import { describe, expect, it } from 'vitest';
import {
  bundleEntries,
  credentialDigest,
  entryBundle,
  entryBytes,
  MAX_ENTRY_BYTES,
  parseEntry,
  type LogEntry,
} from '../../src/transparency/entries.ts';
import { TransparencyError } from '../../src/transparency/errors.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const DIGEST = 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0';

const issued: LogEntry = {
  tenant: 'acme',
  at: '2026-11-28T17:00:00.000Z',
  event: {
    type: 'attestation.issued',
    attestation: '0f2b6a9e-8c1d-4e57-9a3b-2d6c8e1f4a70',
    credentials: [{ id: 'urn:uuid:6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b', format: 'vc+jwt', sha256: DIGEST }],
    profile: { id: 'production-readiness-review', version: '1.0.0', digest: `sha256-${'A'.repeat(43)}=` },
    subject: { name: 'Acme / Rocket' },
    valid_from: '2026-11-28T17:00:00.000Z',
    valid_until: '2027-02-26T17:00:00.000Z',
    kid: 'did:web:issuer.example:t:acme#key-1',
  },
};

describe('log entries', () => {
  it('are the canonical JSON of the event with its tenant and instant: members in code-point order, no spaces', () => {
    const bytes = entryBytes(issued);
    const json = text(bytes);
    expect(json.startsWith('{"at":"2026-11-28T17:00:00.000Z","attestation":')).toBe(true);
    expect(json).not.toMatch(/\s"|": /);
    expect(parseEntry(bytes)).toEqual(issued);
  });

  it('give one event one encoding: the same event in another member order is the same bytes', () => {
    const reordered: LogEntry = { at: issued.at, event: { ...issued.event }, tenant: issued.tenant };
    expect(text(entryBytes(reordered))).toBe(text(entryBytes(issued)));
  });

  it('read back only their canonical form and only known events, with a stable code', () => {
    const json = text(entryBytes(issued));
    const refused = (bytes: Uint8Array) => {
      let error: unknown;
      try {
        parseEntry(bytes);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TransparencyError);
      expect((error as TransparencyError).code).toBe('malformed_entry');
    };
    const enc = (s: string) => new TextEncoder().encode(s);
    refused(enc(json.replace('{"at"', '{ "at"')));
    refused(enc(JSON.stringify({ ...JSON.parse(json), extra: 1 })));
    refused(enc(json.replace('attestation.issued', 'attestation.forged')));
    refused(enc(json.replace('"tenant":"acme"', '"tenant":""')));
    refused(enc(json.replace('.000Z","attestation"', 'Z","attestation"')));
    refused(Uint8Array.of(0xff, 0xfe));
  });

  it('hold a status change, a key event and a published profile, and a subject as its digest when the tenant asks', () => {
    const others: LogEntry[] = [
      {
        tenant: 'acme',
        at: issued.at,
        event: { type: 'status.changed', attestation: 'a1', from: 'valid', to: 'suspended', reason: 'under review' },
      },
      {
        tenant: 'acme',
        at: issued.at,
        event: { type: 'key.revoked', kid: 'did:web:issuer.example:t:acme#key-1', reason: 'compromise' },
      },
      {
        tenant: 'acme',
        at: issued.at,
        event: { type: 'profile.published', id: 'p', version: '2.0.0', digest: `sha256-${'B'.repeat(43)}=` },
      },
      { ...issued, event: { ...issued.event, subject: { name_sha256: DIGEST } } as LogEntry['event'] },
    ];
    for (const e of others) expect(parseEntry(entryBytes(e))).toEqual(e);
    expect(() => entryBytes({ ...issued, event: { ...issued.event, subject: { name: 'x', name_sha256: DIGEST } } as never })).toThrow();
  });

  it('name each credential by the SHA-256 of its text as issued', async () => {
    expect(await credentialDigest('abc')).toBe(DIGEST);
  });

  it('travel in C2SP entry bundles, each prefixed by its length, and no bundle that does not add up is read', () => {
    const entries = [entryBytes(issued), new Uint8Array(0), new Uint8Array(300).fill(7)];
    const bundle = entryBundle(entries);
    expect(bundle.length).toBe(entries.reduce((n, e) => n + 2 + e.length, 0));
    expect([bundle[0], bundle[1]]).toEqual([entries[0]!.length >> 8, entries[0]!.length & 0xff]);
    expect(bundleEntries(bundle)).toEqual(entries);
    expect(bundleEntries(bundle.slice(0, -1))).toBeUndefined();
    expect(bundleEntries(Uint8Array.of(0))).toBeUndefined();
    expect(() => entryBundle([new Uint8Array(MAX_ENTRY_BYTES + 1)])).toThrow(RangeError);
  });
});
