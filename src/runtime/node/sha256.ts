import { createHash } from 'node:crypto';
import type { Sha256 } from '../../util/sha256.ts';

/**
 * SHA-256 through node:crypto, synchronously: the same digest WebCrypto gives, without an
 * asynchronous job per digest (src/util/sha256.ts has the figures).
 */
export const nodeSha256: Sha256 = (data) => {
  const hash = createHash('sha256');
  if (typeof data === 'string') hash.update(data, 'utf8');
  else hash.update(data);
  return hash.digest();
};
