import { createHash } from 'node:crypto';

/**
 * base64url(SHA-256(UTF-8 text)), synchronously. WebCrypto gives the same digest through an
 * asynchronous job whose dispatch costs more than hashing a disclosure of a few hundred bytes;
 * see src/verify/disclosures.ts for the figures.
 */
export function sha256UrlNode(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}
