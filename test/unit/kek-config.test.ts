import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey, kekFor, withPreviousKek } from '../../src/keys/key-crypto.ts';

describe('the previous key-encryption key, during a KEK rotation', () => {
  it('is accepted only beside a different current KEK', () => {
    const current = generateKeyEncryptionKey();
    const previous = generateKeyEncryptionKey();
    expect(parseConfig({ KEY_ENCRYPTION_KEY: current, KEY_ENCRYPTION_KEY_PREVIOUS: previous }).previousKeyEncryptionKey).toBe(previous);
    expect(() => parseConfig({ KEY_ENCRYPTION_KEY_PREVIOUS: previous })).toThrow(ConfigError);
    expect(() => parseConfig({ KEY_ENCRYPTION_KEY: current, KEY_ENCRYPTION_KEY_PREVIOUS: current })).toThrow(/must differ/);
    expect(() => parseConfig({ KEY_ENCRYPTION_KEY: current, KEY_ENCRYPTION_KEY_PREVIOUS: 'short' })).toThrow(/KEY_ENCRYPTION_KEY_PREVIOUS/);
  });

  it('opens keys recorded under its id, while the current KEK opens (and seals) the rest', async () => {
    const current = await importKeyEncryptionKey(generateKeyEncryptionKey());
    const previous = await importKeyEncryptionKey(generateKeyEncryptionKey());
    const both = withPreviousKek(current, previous);
    expect(both.id).toBe(current.id);
    expect(kekFor(both, current.id)?.key).toBe(current.key);
    expect(kekFor(both, previous.id)?.key).toBe(previous.key);
    expect(kekFor(both, 'someone-else')).toBeUndefined();
    expect(kekFor(current, previous.id)).toBeUndefined();
    expect(() => withPreviousKek(current, current)).toThrow(TypeError);
  });
});
