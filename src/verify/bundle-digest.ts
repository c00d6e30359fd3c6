/**
 * The digest an auditor compares a trust bundle by: SHA-256 over the exact bytes of the file as
 * served and saved, in lower-case hex, so `sha256sum acme-bundle.json` prints the same value.
 */
export async function trustBundleDigest(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return `sha256:${[...digest].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}
