import { base64Encode } from '../../util/base64.ts';
import { openBundleLog, BundleLogProblem, LogNotCarried, type IndexedEntry, type OpenedBundleLog } from '../../verify/bundle-log.ts';
import { compareBundleLogs, NoLogInBundle, problemSentence, type LogComparison } from '../../verify/log-compare.ts';
import { statusFromLog, entrySummary, issuanceOf, type LogStatus } from '../../verify/log-status.ts';
import { printable } from '../../verify/report-text.ts';
import { MAX_TRUST_BUNDLE_CHARS, openTrustBundle, TrustBundleError, type TrustBundle } from '../../verify/trust-bundle.ts';
import { readBoundedText, UnreadableFile } from './bounded-file.ts';
import { parseInstant } from './instant.ts';
import { UsageError } from './usage-error.ts';

export interface LogVerifyArgs {
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly attestation: string | undefined;
  readonly at: string | undefined;
  readonly json: boolean;
}

/** A bundle that cannot be read or opened: nothing was compared (exit 2). */
class Unusable extends Error {}

async function openBundle(path: string, what: string): Promise<TrustBundle> {
  try {
    return (await openTrustBundle(await readBoundedText(path, 'trust bundle', MAX_TRUST_BUNDLE_CHARS))).bundle;
  } catch (e) {
    if (e instanceof UnreadableFile) throw new Unusable(e.message);
    if (e instanceof TrustBundleError)
      throw new Unusable(`the ${what} trust bundle ${path} cannot be used (${e.code}): ${printable(e.message)}`);
    throw e;
  }
}

const entryJson = (e: IndexedEntry) => ({ index: e.index, at: e.entry.at, type: e.entry.event.type, summary: entrySummary(e) });
const entryLine = (e: IndexedEntry) =>
  `  ${String(e.index).padStart(6)}  ${e.entry.at}  ${e.entry.event.type.padEnd(18)}  ${printable(entrySummary(e))}`;
const headJson = (log: OpenedBundleLog, bundle: TrustBundle) => ({
  size: log.checkpoint.size,
  root: base64Encode(log.checkpoint.root),
  log_key: log.kid,
  bundle_generated_at: bundle.generated_at,
});

interface AttestationAnswer {
  readonly id: string;
  readonly at: string;
  /** Absent: the log holds no issuance of it at all. */
  readonly inLog: boolean;
  /** Absent while in the log: it was issued after `at`. */
  readonly status?: LogStatus;
}

function answerAttestation(log: OpenedBundleLog, id: string, at: Date): AttestationAnswer {
  const status = statusFromLog(log.entries, id, at);
  return { id, at: at.toISOString(), inLog: issuanceOf(log.entries, id) !== undefined, ...(status ? { status } : {}) };
}

function attestationText(a: AttestationAnswer): string {
  if (!a.inLog) return `attestation ${printable(a.id)}: not in the log`;
  if (!a.status) return `attestation ${printable(a.id)} at ${a.at}: not issued yet`;
  return `attestation ${printable(a.id)} at ${a.at}: ${a.status.value} (set by entry ${a.status.index} at ${a.status.at})`;
}

/**
 * `launchproof log verify --from OLD_BUNDLE --to NEW_BUNDLE [--attestation ID [--at T]] [--json]`:
 * the newer bundle's log extends the older's (a consistency proof computed from the newer entries
 * and checked against the two signed roots, and the older entries compared with the newer prefix),
 * and every entry added between the two; with --attestation, that attestation's status at T (default
 * now) from the newer log alone. Reads nothing but the two files. Exit 0 consistent, 1 not (each
 * problem named) or the attestation is not in the log, 2 usage or a bundle that cannot be used.
 */
export async function logVerifyCommand(
  args: LogVerifyArgs,
  out: (text: string) => Promise<void> | void,
  err: (text: string) => void,
): Promise<number> {
  if (args.to === undefined || args.to === '') throw new UsageError('log verify needs --to NEW_BUNDLE');
  if ((args.from === undefined || args.from === '') && args.attestation === undefined)
    throw new UsageError('log verify needs --from OLD_BUNDLE, or --attestation ID to ask the --to bundle’s log about one attestation');
  if (args.at !== undefined && args.attestation === undefined) throw new UsageError('--at goes with --attestation ID');
  if (args.attestation === '') throw new UsageError('--attestation must not be empty');
  const at = parseInstant(args.at, '--at') ?? new Date();
  try {
    const newer = await openBundle(args.to, 'newer (--to)');
    const older = args.from ? await openBundle(args.from, 'older (--from)') : undefined;
    let comparison: LogComparison | undefined;
    if (older) comparison = await compareBundleLogs(older, newer);

    let answer: AttestationAnswer | undefined;
    if (args.attestation !== undefined) {
      let log = comparison?.to;
      if (!comparison) {
        try {
          log = await openBundleLog(newer);
        } catch (e) {
          if (e instanceof LogNotCarried) throw new NoLogInBundle('to', `carries its log's checkpoint only: ${e.message}`);
          if (!(e instanceof BundleLogProblem)) throw e;
          err(`launchproof: the newer bundle's log does not hold (${e.code}): ${printable(e.message)}\n`);
          return 1;
        }
        if (!log) throw new NoLogInBundle('to');
      }
      if (log) answer = answerAttestation(log, args.attestation, at);
    }

    const consistent = comparison?.consistent ?? true;
    const ok = consistent && (answer === undefined || answer.inLog);
    if (args.json) {
      await out(
        `${JSON.stringify(
          {
            ...(comparison
              ? {
                  consistent,
                  log: newer.log!.origin,
                  ...(comparison.from ? { from: headJson(comparison.from, older!) } : {}),
                  ...(comparison.to ? { to: headJson(comparison.to, newer) } : {}),
                  problems: comparison.problems,
                  entries: comparison.added.map(entryJson),
                }
              : {}),
            ...(answer
              ? {
                  attestation: {
                    id: answer.id,
                    at: answer.at,
                    in_log: answer.inLog,
                    ...(answer.status ? { status: answer.status.value, entry: answer.status.index, set_at: answer.status.at } : {}),
                  },
                }
              : {}),
          },
          null,
          2,
        )}\n`,
      );
      return ok ? 0 : 1;
    }
    const lines: string[] = [];
    if (comparison) {
      const first = comparison.problems[0];
      lines.push(consistent ? 'CONSISTENT' : `NOT CONSISTENT: ${first!.kind}`, '');
      lines.push(`  log        ${printable(newer.log!.origin)}`);
      for (const [label, log, bundle] of [
        ['from', comparison.from, older!],
        ['to', comparison.to, newer],
      ] as const)
        if (log)
          lines.push(
            `  ${label.padEnd(10)} size ${log.checkpoint.size}, root ${base64Encode(log.checkpoint.root)}, bundle made ${printable(bundle.generated_at)}`,
          );
      if (comparison.problems.length > 0) {
        lines.push('', 'problems');
        for (const p of comparison.problems) lines.push(`  ✗ ${printable(problemSentence(p))}`);
      }
      if (comparison.from && comparison.to && comparison.added.length > 0) {
        lines.push('', `entries ${comparison.from.checkpoint.size} to ${comparison.to.checkpoint.size - 1} (${comparison.added.length})`);
        for (const e of comparison.added) lines.push(entryLine(e));
      } else if (comparison.from && comparison.to) lines.push('', 'no entries between the two checkpoints');
    }
    if (answer) lines.push(...(lines.length ? [''] : []), attestationText(answer));
    await out(`${lines.join('\n')}\n`);
    return ok ? 0 : 1;
  } catch (e) {
    if (e instanceof Unusable || e instanceof NoLogInBundle) {
      err(`launchproof: ${e.message}; nothing was compared\n`);
      return 2;
    }
    throw e;
  }
}
