import { bundleEnvironment } from '../../verify/bundle-environment.ts';
import { verifyCredential } from '../../verify/pipeline.ts';
import { printable, renderTextReport } from '../../verify/report-text.ts';
import { MAX_TRUST_BUNDLE_CHARS, openTrustBundle, TrustBundleError } from '../../verify/trust-bundle.ts';
import { readBoundedText, UnreadableFile } from './bounded-file.ts';
import { UsageError } from './usage-error.ts';

/** The default of VERIFY_CLOCK_SKEW_SECONDS: this command reads no configuration, an auditor's machine has none. */
const SKEW_SECONDS = 60;
/** A credential is at most 256 KiB; its envelope percent-encodes it, which can grow it threefold. */
const MAX_CREDENTIAL_FILE_BYTES = 1024 * 1024;
/** RFC 3339 date-time, or a bare date (midnight UTC): Date.parse alone would take "1" for the year 2001. */
const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

export interface VerifyArgs {
  readonly file: string | undefined;
  readonly bundle: string | undefined;
  readonly at: string | undefined;
  readonly json: boolean;
}

/** A compact credential as text, or a VC-API envelope as JSON; anything else goes to the pipeline, which says what it is not. */
function credentialInput(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('"')) return trimmed;
  try {
    return JSON.parse(trimmed) as unknown;
  } catch {
    return trimmed;
  }
}

function instant(text: string | undefined): Date | undefined {
  if (text === undefined) return undefined;
  const ms = INSTANT.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms))
    throw new UsageError(`--at must be an RFC 3339 date-time (2026-03-01T12:00:00Z) or a date, not ${JSON.stringify(text)}`);
  return new Date(ms);
}

/**
 * `launchproof verify FILE --bundle BUNDLE [--at TIME] [--json]`: everything comes from the two
 * files, nothing from the network or a database. Exit 0 verified, 1 not verified, 2 when the
 * credential could not be judged at all: a usage error, an unreadable file, or a bundle that
 * fails its own checks. A bad bundle is not a verdict on the credential (the same credential may
 * well verify with the right bundle), and a script must not read it as "this credential is
 * invalid", so it is kept apart from exit 1.
 */
export async function verifyCommand(
  args: VerifyArgs,
  out: (text: string) => Promise<void> | void,
  err: (text: string) => void,
): Promise<number> {
  if (args.file === undefined || args.file === '') throw new UsageError('verify needs the FILE holding the credential');
  if (args.bundle === undefined || args.bundle === '')
    throw new UsageError('verify needs --bundle BUNDLE (download it from /t/{tenant}/trust-bundle.json)');
  const at = instant(args.at) ?? new Date();
  try {
    const input = credentialInput(await readBoundedText(args.file, 'credential file', MAX_CREDENTIAL_FILE_BYTES));
    const { bundle, kid } = await openTrustBundle(await readBoundedText(args.bundle, 'trust bundle', MAX_TRUST_BUNDLE_CHARS));
    const result = await verifyCredential(input, bundleEnvironment(bundle, { at, skewSeconds: SKEW_SECONDS }));
    await out(
      args.json
        ? `${JSON.stringify(result, null, 2)}\n`
        : renderTextReport(result, { at, bundle: { issuer: bundle.issuer.did, kid, generatedAt: bundle.generated_at } }),
    );
    return result.verified ? 0 : 1;
  } catch (e) {
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
