import { writeFile } from 'node:fs/promises';
import { renderOfflineVerifier } from '../../pages/offline-verifier.ts';
import { SITE_CSS } from '../../pages/site-css.ts';
import { trustBundleDigest } from '../../verify/bundle-digest.ts';
import { printable } from '../../verify/report-text.ts';
import { MAX_TRUST_BUNDLE_CHARS, openTrustBundle, TrustBundleError } from '../../verify/trust-bundle.ts';
import { readBoundedText, UnreadableFile } from './bounded-file.ts';
import { UsageError } from './usage-error.ts';
import { buildWebAssets } from './web-assets.ts';

export interface VerifierHtmlArgs {
  readonly bundle: string | undefined;
  readonly output: string | undefined;
}

/**
 * `launchproof verifier-html --bundle B -o FILE`: the offline verifier of /t/{tenant}/verifier.html,
 * made from a saved bundle on the auditor's own machine. The bundle is checked first and
 * embedded byte for byte; nothing comes from a network, a database or the environment. Exit 0
 * written, 2 usage, an unreadable file or an unusable bundle.
 */
export async function verifierHtmlCommand(
  args: VerifierHtmlArgs,
  out: (text: string) => Promise<void> | void,
  err: (text: string) => void,
): Promise<number> {
  if (args.bundle === undefined || args.bundle === '')
    throw new UsageError('verifier-html needs --bundle BUNDLE (download it from /t/{tenant}/trust-bundle.json)');
  if (args.output === undefined || args.output === '') throw new UsageError('verifier-html needs -o FILE, where to write the verifier');
  let bundleText: string;
  try {
    bundleText = await readBoundedText(args.bundle, 'trust bundle', MAX_TRUST_BUNDLE_CHARS);
  } catch (e) {
    if (!(e instanceof UnreadableFile)) throw e;
    err(`launchproof: ${e.message}\n`);
    return 2;
  }
  let opened;
  try {
    opened = await openTrustBundle(bundleText);
  } catch (e) {
    if (!(e instanceof TrustBundleError)) throw e;
    err(`launchproof: the trust bundle ${args.bundle} cannot be used (${e.code}): ${printable(e.message)}\n`);
    return 2;
  }
  const { verifyScript } = await buildWebAssets();
  const { html } = await renderOfflineVerifier({ bundleText, script: verifyScript, css: SITE_CSS });
  try {
    await writeFile(args.output, html);
  } catch (e) {
    err(`launchproof: cannot write ${args.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 2;
  }
  const digest = await trustBundleDigest(bundleText);
  await out(`${args.output}: offline verifier for ${opened.bundle.issuer.did}, bundle ${digest} made ${opened.bundle.generated_at}\n`);
  return 0;
}
