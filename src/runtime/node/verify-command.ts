import { credentialFromText } from '../../verify/credential-text.ts';
import { trustBundleDigest } from '../../verify/bundle-digest.ts';
import { bundleEnvironment } from '../../verify/bundle-environment.ts';
import { verifyCredential, type VerifyOptions } from '../../verify/pipeline.ts';
import { printable, renderTextReport } from '../../verify/report-text.ts';
import { MAX_TRUST_BUNDLE_CHARS, openTrustBundle, TrustBundleError, type TrustBundle } from '../../verify/trust-bundle.ts';
import { verificationResultToJson } from '../../verify/wire.ts';
import { readBoundedText, UnreadableFile } from './bounded-file.ts';
import { parseInstant } from './instant.ts';
import { UsageError } from './usage-error.ts';

/** The default of VERIFY_CLOCK_SKEW_SECONDS: this command reads no configuration, an auditor's machine has none. */
const SKEW_SECONDS = 60;
/** A credential is at most 256 KiB; its envelope percent-encodes it, which can grow it threefold. */
const MAX_CREDENTIAL_FILE_BYTES = 1024 * 1024;
/** A kid as the JWK Set publishes it (the RFC 7638 thumbprint), optionally behind its DID and `#`. */
const PINNED_KID = /^(did:[^#\s]+#)?[A-Za-z0-9_-]{43}$/;

export interface VerifyArgs {
  readonly file: string | undefined;
  readonly bundle: string | undefined;
  readonly at: string | undefined;
  readonly json: boolean;
  readonly expectDid?: string | undefined;
  readonly expectKid?: string | undefined;
  readonly audience?: string | undefined;
  readonly nonce?: string | undefined;
}

/** A bundle that is sound but not the one the auditor pinned: like a bad bundle, it judges no credential. */
class PinMismatch extends Error {}

function keyBinding(args: VerifyArgs): VerifyOptions {
  if ((args.audience === undefined) !== (args.nonce === undefined))
    throw new UsageError('--aud and --nonce go together: holder binding is checked against both, or not at all');
  if (args.audience === undefined || args.nonce === undefined) return {};
  if (args.audience === '' || args.nonce === '') throw new UsageError('--aud and --nonce must not be empty');
  return { keyBinding: { audience: args.audience, nonce: args.nonce } };
}

function checkPinnedKid(kid: string | undefined): void {
  if (kid !== undefined && !PINNED_KID.test(kid))
    throw new UsageError(
      `--expect-kid must be the key's kid as the issuer's JWK Set publishes it (43 characters), or DID#kid, not ${JSON.stringify(printable(kid))}`,
    );
}

/**
 * A bundle proves only that the holder of its key made it: without a pin, anyone's self-signed
 * bundle would be accepted. The pins are what the auditor obtained independently.
 */
function checkPins(args: VerifyArgs, bundle: TrustBundle, signer: string): void {
  const did = bundle.issuer.did;
  if (args.expectDid !== undefined && args.expectDid !== did)
    throw new PinMismatch(`the trust bundle is for ${printable(did)}, not for ${printable(args.expectDid)} as --expect-did requires`);
  if (args.expectKid === undefined) return;
  const bare = signer.slice(did.length + 1);
  const matches = args.expectKid.includes('#') ? args.expectKid === signer : args.expectKid === bare;
  if (!matches) {
    const held = args.expectKid.includes('#') ? signer : bare;
    throw new PinMismatch(
      `the trust bundle is signed by key ${printable(held)}, not by ${printable(args.expectKid)} as --expect-kid requires`,
    );
  }
}

/**
 * `launchproof verify FILE --bundle BUNDLE [--expect-did DID] [--expect-kid KID] [--aud A --nonce N]
 * [--at TIME] [--json]`: everything comes from the two files, nothing from the network or a
 * database. Exit 0 verified, 1 not verified, 2 when the
 * credential could not be judged at all: a usage error, an unreadable file, or a bundle that
 * fails its own checks. A bad bundle is not a verdict on the credential (the same credential may
 * well verify with the right bundle), and a script must not read it as "this credential is
 * invalid", so it is kept apart from exit 1. A bundle that is not the pinned DID or key is refused
 * the same way.
 */
export async function verifyCommand(
  args: VerifyArgs,
  out: (text: string) => Promise<void> | void,
  err: (text: string) => void,
): Promise<number> {
  if (args.file === undefined || args.file === '') throw new UsageError('verify needs the FILE holding the credential');
  if (args.bundle === undefined || args.bundle === '')
    throw new UsageError('verify needs --bundle BUNDLE (download it from /t/{tenant}/trust-bundle.json)');
  const at = parseInstant(args.at, '--at') ?? new Date();
  const options = keyBinding(args);
  checkPinnedKid(args.expectKid);
  try {
    const input = credentialFromText(await readBoundedText(args.file, 'credential file', MAX_CREDENTIAL_FILE_BYTES));
    const bundleText = await readBoundedText(args.bundle, 'trust bundle', MAX_TRUST_BUNDLE_CHARS);
    const { bundle, kid } = await openTrustBundle(bundleText);
    checkPins(args, bundle, kid);
    const digest = await trustBundleDigest(bundleText);
    const result = await verifyCredential(input, bundleEnvironment(bundle, { at, skewSeconds: SKEW_SECONDS }), options);
    const about = { did: bundle.issuer.did, kid: kid.slice(bundle.issuer.did.length + 1), digest, generated_at: bundle.generated_at };
    await out(
      args.json
        ? `${JSON.stringify({ ...verificationResultToJson(result), judged_at: at.toISOString(), bundle: about }, null, 2)}\n`
        : renderTextReport(result, { at, bundle: { issuer: bundle.issuer.did, kid, generatedAt: bundle.generated_at, digest } }),
    );
    return result.verified ? 0 : 1;
  } catch (e) {
    if (e instanceof PinMismatch) {
      err(`launchproof: ${e.message}; nothing was verified\n`);
      return 2;
    }
    if (e instanceof UnreadableFile) {
      err(`launchproof: ${e.message}\n`);
      return 2;
    }
    if (e instanceof TrustBundleError) {
      err(`launchproof: the trust bundle ${args.bundle} cannot be used (${e.code}): ${printable(e.message)}\n`);
      return 2;
    }
    throw e;
  }
}
