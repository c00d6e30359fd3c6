import type { Config } from '../../config/index.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey, withPreviousKek, type KeyEncryptionKey } from '../../keys/key-crypto.ts';
import type { Logger } from '../../log/logger.ts';
import { dataPath } from './open-database.ts';
import { readIfExists, writeOwnerOnly } from './secret-files.ts';

/**
 * The key-encryption key: from KEY_ENCRYPTION_KEY, or (development and test only; production
 * refuses to start without it, see parseConfig) generated once into DATA_DIR/kek beside the
 * data it protects, with a warning, because a KEK stored next to its ciphertext protects little.
 */
export async function resolveKek(config: Config, log: Logger): Promise<KeyEncryptionKey> {
  if (config.keyEncryptionKey) {
    const current = await importKeyEncryptionKey(config.keyEncryptionKey);
    if (!config.previousKeyEncryptionKey) return current;
    return withPreviousKek(current, await importKeyEncryptionKey(config.previousKeyEncryptionKey));
  }
  const path = dataPath(config, 'kek');
  let encoded = await readIfExists(path);
  if (!encoded) {
    encoded = generateKeyEncryptionKey();
    await writeOwnerOnly(path, `${encoded}\n`);
  }
  log.warn('using a generated key-encryption key stored beside the data; set KEY_ENCRYPTION_KEY for anything but development', { path });
  return importKeyEncryptionKey(encoded);
}
