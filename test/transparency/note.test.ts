import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkpointText, openCheckpoint, parseCheckpoint } from '../../src/transparency/checkpoint.ts';
import { leafHash, rootOf } from '../../src/transparency/merkle.ts';
import { TransparencyError } from '../../src/transparency/errors.ts';
import { ed25519Signer, openNote, parseVerifierKey, signNote, verifierKey } from '../../src/transparency/note.ts';

/*
 * The reference vector of Go's golang.org/x/mod/sumdb/note (its documentation and tests), which
 * C2SP signed-note describes: a private key, its verifier key, a text and the note Go signs.
 * Ed25519 is deterministic, so signing the same text must give the same bytes.
 */
const GO_SIGNER_KEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_VERIFIER_KEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An Ed25519 key pair from a 32-byte seed, through WebCrypto as the service holds one. */
async function keyFromSeed(seed: Uint8Array): Promise<{ privateKey: CryptoKey; publicKey: Uint8Array }> {
  const privateKey = await crypto.subtle.importKey('pkcs8', Buffer.concat([PKCS8_ED25519_PREFIX, seed]), { name: 'Ed25519' }, true, [
    'sign',
  ]);
  const { x } = await crypto.subtle.exportKey('jwk', privateKey);
  return { privateKey, publicKey: new Uint8Array(Buffer.from(x!, 'base64url')) };
}

async function goKey() {
  // PRIVATE+KEY+<name>+<key ID>+<base64(type || seed)>, whose base64 may hold a `+` itself.
  const typed = Buffer.from(GO_SIGNER_KEY.split('+').slice(4).join('+'), 'base64');
  expect(typed[0]).toBe(0x01);
  return keyFromSeed(typed.subarray(1));
}

async function freshKey() {
  return keyFromSeed(crypto.getRandomValues(new Uint8Array(32)));
}

describe('signed notes (C2SP signed-note)', () => {
  it("sign Go's reference text to Go's reference note, byte for byte, and name the key as Go does", async () => {
    const { privateKey, publicKey } = await goKey();
    expect(await verifierKey('PeterNeumann', publicKey)).toBe(GO_VERIFIER_KEY);
    const note = await signNote(GO_TEXT, [await ed25519Signer('PeterNeumann', privateKey, publicKey)]);
    expect(note).toBe(GO_NOTE);
    expect(await openNote(GO_NOTE, [await parseVerifierKey(GO_VERIFIER_KEY)])).toEqual({ text: GO_TEXT, verifiedBy: ['PeterNeumann'] });
  });

  it('make signatures an independent Ed25519 implementation (node:crypto) accepts', async () => {
    const { privateKey, publicKey } = await freshKey();
    const text = 'launchproof.example/t/acme\n42\n' + Buffer.alloc(32, 7).toString('base64') + '\n';
    const note = await signNote(text, [await ed25519Signer('launchproof.example/t/acme', privateKey, publicKey)]);
    const line = note.split('\n').at(-2)!;
    const sig = Buffer.from(line.split(' ').at(-1)!, 'base64');
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
    expect(nodeVerify(null, Buffer.from(text), key, sig.subarray(4))).toBe(true);
    expect(nodeVerify(null, Buffer.from(text.replace('42', '43')), key, sig.subarray(4))).toBe(false);
  });

  it('refuse an altered text, a known key whose signature fails, and a note no known key signed', async () => {
    const verifier = await parseVerifierKey(GO_VERIFIER_KEY);
    const refused = async (note: string, code: string) => {
      const e = await openNote(note, [verifier]).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e, note).toBeInstanceOf(TransparencyError);
      expect((e as TransparencyError).code).toBe(code);
    };
    await refused(GO_NOTE.replace('problem,', 'problem;'), 'invalid_note_signature');
    await refused(GO_NOTE.replace('x08go/', 'x08go+'), 'invalid_note_signature');
    // Another key's signature alone: skipped, so nothing verifies.
    const other = await freshKey();
    await refused(await signNote(GO_TEXT, [await ed25519Signer('Someone', other.privateKey, other.publicKey)]), 'unverified_note');
    await refused(GO_TEXT, 'malformed_note');
    await refused(GO_NOTE.replace('\u2014 ', '-- '), 'malformed_note');
    await refused(GO_NOTE.slice(0, -1), 'malformed_note');
    await refused(`${GO_TEXT}\n\u2014 PeterNeumann AAAA\n`, 'malformed_note');
  });

  it('skip signatures by unknown keys (a witness cosigning) and open with any known one', async () => {
    const { privateKey, publicKey } = await goKey();
    const witness = await freshKey();
    const note = await signNote(GO_TEXT, [
      await ed25519Signer('witness.example', witness.privateKey, witness.publicKey),
      await ed25519Signer('PeterNeumann', privateKey, publicKey),
    ]);
    expect((await openNote(note, [await parseVerifierKey(GO_VERIFIER_KEY)])).verifiedBy).toEqual(['PeterNeumann']);
    const both = [await parseVerifierKey(GO_VERIFIER_KEY), await parseVerifierKey(await verifierKey('witness.example', witness.publicKey))];
    expect((await openNote(note, both)).verifiedBy).toEqual(['witness.example', 'PeterNeumann']);
  });

  it('refuse a verifier key whose ID is not its own, and texts and names a note cannot carry', async () => {
    await expect(parseVerifierKey(GO_VERIFIER_KEY.replace('c74f20a3', 'c74f20a4'))).rejects.toThrow(TransparencyError);
    await expect(parseVerifierKey('PeterNeumann+c74f20a3')).rejects.toThrow(TransparencyError);
    const { privateKey, publicKey } = await goKey();
    await expect(ed25519Signer('a+b', privateKey, publicKey)).rejects.toThrow(TransparencyError);
    const signer = await ed25519Signer('PeterNeumann', privateKey, publicKey);
    for (const text of ['', 'no newline', 'a tab\there\n', 'a bell\u0007\n'])
      await expect(signNote(text, [signer]), JSON.stringify(text)).rejects.toThrow(TransparencyError);
    await expect(signNote(GO_TEXT, [signer, signer])).rejects.toThrow(/once/);
  });

  it('open a text with empty lines, since the signatures start after the last one (C2SP)', async () => {
    const { privateKey, publicKey } = await goKey();
    const text = 'first paragraph\n\nsecond paragraph\n';
    const note = await signNote(text, [await ed25519Signer('PeterNeumann', privateKey, publicKey)]);
    expect(await openNote(note, [await parseVerifierKey(GO_VERIFIER_KEY)])).toEqual({ text, verifiedBy: ['PeterNeumann'] });
  });

  it("count a key's repeated signature once, so one witness cannot pass for two", async () => {
    const line = GO_NOTE.slice(GO_NOTE.lastIndexOf('\u2014'));
    expect((await openNote(`${GO_NOTE}${line}`, [await parseVerifierKey(GO_VERIFIER_KEY)])).verifiedBy).toEqual(['PeterNeumann']);
  });
});

describe('checkpoints (C2SP tlog-checkpoint)', () => {
  it('carry a tree head as text, signed and opened as a note, and read back the same', async () => {
    const leaves = await Promise.all(['a', 'b', 'c'].map((e) => leafHash(new TextEncoder().encode(e))));
    const root = await rootOf(leaves);
    const text = checkpointText({ origin: 'issuer.example/t/acme', size: 3, root, extensions: [] });
    expect(text).toBe(`issuer.example/t/acme\n3\n${Buffer.from(root).toString('base64')}\n`);
    const { privateKey, publicKey } = await freshKey();
    const note = await signNote(text, [await ed25519Signer('issuer.example/t/acme', privateKey, publicKey)]);
    const opened = await openNote(note, [await parseVerifierKey(await verifierKey('issuer.example/t/acme', publicKey))]);
    expect(parseCheckpoint(opened.text)).toEqual({ origin: 'issuer.example/t/acme', size: 3, root, extensions: [] });
  });

  it("open only when the log's own key signed them, for the log named, and name the witnesses", async () => {
    const root = await rootOf([await leafHash(Uint8Array.of(1))]);
    const origin = 'issuer.example/t/acme';
    const log = await freshKey();
    const witness = await freshKey();
    const logSigner = await ed25519Signer(origin, log.privateKey, log.publicKey);
    const witnessSigner = await ed25519Signer('witness.example', witness.privateKey, witness.publicKey);
    const logVerifier = await parseVerifierKey(await verifierKey(origin, log.publicKey));
    const witnessVerifier = await parseVerifierKey(await verifierKey('witness.example', witness.publicKey));
    const text = checkpointText({ origin, size: 1, root, extensions: [] });

    const both = await signNote(text, [logSigner, witnessSigner]);
    const opened = await openCheckpoint(both, origin, logVerifier, [witnessVerifier]);
    expect(opened.checkpoint.size).toBe(1);
    expect(opened.witnessedBy).toEqual(['witness.example']);

    const witnessOnly = await signNote(text, [witnessSigner]);
    await expect(openCheckpoint(witnessOnly, origin, logVerifier, [witnessVerifier])).rejects.toThrow(/not signed by the log's key/);
    await expect(openCheckpoint(both, 'issuer.example/t/other', logVerifier)).rejects.toThrow(/not "issuer.example\/t\/other"/);
  });

  it('refuse what is not one, naming the line', () => {
    const root = Buffer.alloc(32, 1).toString('base64');
    for (const [text, why] of [
      [`o\n03\n${root}\n`, /tree size/],
      [`o\n-1\n${root}\n`, /tree size/],
      [`o\n3\n${Buffer.alloc(31).toString('base64')}\n`, /32 bytes/],
      [`o\n3\n${root.slice(0, -1)}\n`, /base64/],
      [`\n3\n${root}\n`, /names the log/],
      [`o\n3\n${root}`, /newline/],
      [`o\n3\n`, /root hash/],
    ] as const)
      expect(() => parseCheckpoint(text), text).toThrow(why);
    expect(parseCheckpoint(`o\n0\n${root}\nextension one\n`).extensions).toEqual(['extension one']);
  });
});
