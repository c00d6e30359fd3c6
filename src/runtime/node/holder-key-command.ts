import { writeFile } from 'node:fs/promises';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { UsageError } from './usage-error.ts';

/** What a holder binding accepts (POST /v1/t/{tenant}/attestations `holder.jwk`, and `present --holder-key`). */
const HOLDER_ALGORITHMS = ['ES256', 'ES384', 'EdDSA'] as const;
type HolderAlgorithm = (typeof HOLDER_ALGORITHMS)[number];

export interface HolderKeyArgs {
  readonly file: string | undefined;
  readonly algorithm: string | undefined;
}

/**
 * `launchproof holder-key new FILE [--algorithm ES256|ES384|EdDSA]`: a fresh holder key pair.
 * The private JWK goes to FILE, created owner-readable only and never over an existing file
 * (a holder key overwritten is every credential bound to it lost); the public JWK, the one to
 * send as `holder.jwk`, goes to stdout. ES256 by default: every wallet and verifier takes it.
 */
export async function holderKeyNewCommand(
  args: HolderKeyArgs,
  out: (text: string) => Promise<void> | void,
  err: (text: string) => void,
): Promise<number> {
  if (args.file === undefined || args.file === '') throw new UsageError('holder-key new needs the FILE to write the private key to');
  const alg = (args.algorithm ?? 'ES256') as HolderAlgorithm;
  if (!HOLDER_ALGORITHMS.includes(alg)) throw new UsageError(`--algorithm must be one of ${HOLDER_ALGORITHMS.join(', ')}`);
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg };
  try {
    await writeFile(args.file, `${JSON.stringify(privateJwk)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    err(
      code === 'EEXIST'
        ? `launchproof: ${args.file} exists: a holder key is never overwritten (move it away first)\n`
        : `launchproof: cannot write ${args.file}: ${code ?? 'error'}\n`,
    );
    return 2;
  }
  await out(`${JSON.stringify({ ...publicJwk, kid, alg })}\n`);
  return 0;
}
