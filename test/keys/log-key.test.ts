import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey, importKeyEncryptionKey, openPrivateJwk } from '../../src/keys/key-crypto.ts';
import { checkpointText, openCheckpoint } from '../../src/transparency/checkpoint.ts';
import { createLogKey, logKeySigner, logKeyVerifier, logOrigin, logVerifierKey } from '../../src/keys/log-key.ts';
import { leafHash, rootOf } from '../../src/transparency/merkle.ts';
import { signNote } from '../../src/transparency/note.ts';

const kek = () => importKeyEncryptionKey(generateKeyEncryptionKey());

describe("a tenant log's key", () => {
  it('names the log by the public URL without its scheme and the tenant path', () => {
    expect(logOrigin(new URL('https://issuer.example'), 'acme')).toBe('issuer.example/t/acme');
    expect(logOrigin(new URL('https://issuer.example:8443/base/'), 'acme')).toBe('issuer.example:8443/base/t/acme');
  });

  it('signs checkpoints that open with its public key alone, and that node:crypto verifies', async () => {
    const k = await kek();
    const origin = logOrigin(new URL('https://issuer.example'), 'acme');
    const key = await createLogKey(k, 'acme', origin);
    expect(key.kekId).toBe(k.id);
    expect(JSON.stringify(key)).not.toMatch(/"d"/);
    const text = checkpointText({ origin, size: 1, root: await rootOf([await leafHash(Uint8Array.of(1))]), extensions: [] });
    const note = await signNote(text, [await logKeySigner(k, 'acme', key)]);
    const { checkpoint } = await openCheckpoint(note, origin, await logKeyVerifier(key));
    expect(checkpoint.size).toBe(1);
    expect(await logVerifierKey(key)).toMatch(/^issuer\.example\/t\/acme\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);

    const signature = Buffer.from(note.trimEnd().split(' ').at(-1)!, 'base64').subarray(4);
    const publicKey = createPublicKey({ key: { ...key.publicJwk }, format: 'jwk' });
    expect(nodeVerify(null, Buffer.from(text), publicKey, signature)).toBe(true);
  });

  it("opens for its own tenant under its own KEK only, and never as a credential signing key's seal", async () => {
    const k = await kek();
    const key = await createLogKey(k, 'acme', 'issuer.example/t/acme');
    await expect(logKeySigner(k, 'other', key)).rejects.toThrow();
    await expect(logKeySigner(await kek(), 'acme', key)).rejects.toThrow();
    // The same ciphertext read as a signing key of the same kid (keys/ seals those by tenant and kid alone).
    await expect(openPrivateJwk(k, 'acme', key.kid, key.sealed)).rejects.toThrow();
  });
});
