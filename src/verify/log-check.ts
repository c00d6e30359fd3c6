import { credentialDigest, issuerJwtDigest } from '../transparency/entries.ts';
import { inclusionProof, verifyInclusion } from '../transparency/merkle.ts';
import { BundleLogProblem, LogNotCarried, type OpenedBundleLog } from './bundle-log.ts';
import { statusFromLog, type LogStatus } from './log-status.ts';
import type { Check, StatusValue } from './result.ts';

/*
 * The `log` check of the verification report: is the credential in the issuer's transparency log
 * as the trust bundle carries it, and does the log's history of it end where the status lists
 * say? A credential the issuer did not log is exactly what the log exists to expose, so a failed
 * log check makes the verdict "not verified". Two outcomes pass with a remark instead: a bundle
 * without a log (made before there was one), and a credential issued before the log's first
 * entry (the log cannot hold what came before it).
 */

/** What the pipeline knows of the credential by the time its signature verified. */
export interface LogSubject {
  /** The issuer-signed JWT (an SD-JWT's part before its first `~`). */
  readonly jws: string;
  /** The credential as presented: an SD-JWT with its disclosures (it is the issued text when all are presented). */
  readonly presented: string;
  readonly issuedAt: Date;
  /** The signing key's kid as the JWK Set publishes it. */
  readonly kid?: string;
  /** The status the bundle's lists give, when the status check got that far. */
  readonly listStatus?: StatusValue;
}

/** What the log says of the credential: where its issuance entry is, and its status by the log alone. */
export interface LogFinding {
  readonly origin: string;
  readonly size: number;
  /** The log key that signed the checkpoint. */
  readonly kid: string;
  readonly index?: number;
  readonly attestation?: string;
  /** The status the log gives as of the lists' instant (the bundle's). */
  readonly status?: LogStatus;
  /** The status the log gives at the instant the credential is judged at. */
  readonly statusAt?: LogStatus & { readonly asked: string };
}

export interface LogCheckOutcome {
  readonly check: Check;
  readonly finding?: LogFinding;
}

const fail = (code: string, detail: string, finding?: LogFinding): LogCheckOutcome => ({
  check: { name: 'log', ok: false, code, detail },
  ...(finding ? { finding } : {}),
});
const pass = (code: string, detail: string, finding?: LogFinding): LogCheckOutcome => ({
  check: { name: 'log', ok: true, code, detail },
  ...(finding ? { finding } : {}),
});

/**
 * How long before its bundle was made a status change must be for the bundle's lists to show it:
 * the lists are read before the log, a change's status list is signed in the change's request,
 * and servers' clocks differ by seconds at most.
 */
const STATUS_SETTLE_MS = 60_000;

/**
 * The log check of one credential against the bundle's opened log. `statusAsOf` is when the
 * bundle's lists were current (its generated_at); `at` the instant the credential is judged at.
 */
export async function checkCredentialLog(
  opening: Promise<OpenedBundleLog | undefined>,
  subject: LogSubject,
  times: { readonly statusAsOf: Date; readonly at: Date },
): Promise<LogCheckOutcome> {
  let log: OpenedBundleLog | undefined;
  try {
    log = await opening;
  } catch (e) {
    if (e instanceof LogNotCarried) return pass('log_not_carried', e.message);
    if (!(e instanceof BundleLogProblem)) throw e;
    return fail(e.code, e.message);
  }
  if (!log) return pass('no_log', 'the trust bundle carries no transparency log (it was made before the issuer kept one)');
  const base = { origin: log.origin, size: log.checkpoint.size, kid: log.kid };

  const [full, issuerJwt] = await Promise.all([credentialDigest(subject.presented), issuerJwtDigest(subject.jws)]);
  const issued = log.entries.find(
    (e) =>
      e.entry.event.type === 'attestation.issued' &&
      e.entry.event.credentials.some((c) => c.sha256 === full || c.issuer_jwt_sha256 === issuerJwt),
  );
  if (!issued) {
    const first = log.entries[0];
    const keyLogged =
      subject.kid !== undefined && log.entries.some((e) => e.entry.event.type === 'key.created' && e.entry.event.kid === subject.kid);
    // A credential signed before the log began cannot be in it. Not when its signing key was
    // created in the log's time: then its date is not when it was signed, but what it claims.
    if (first && subject.issuedAt.getTime() + 1000 <= Date.parse(first.entry.at) && !keyLogged)
      return pass(
        'issued_before_log',
        `issued ${subject.issuedAt.toISOString()}, before the log's first entry (${first.entry.at}): the log cannot hold it`,
        base,
      );
    return fail(
      'not_in_log',
      `the issuer's log (${log.checkpoint.size} entries) holds no issuance of this credential: the issuer did not log it`,
      base,
    );
  }

  // The inclusion proof an auditor would be served, computed from the entries and checked against the signed root alone.
  const proof = await inclusionProof(issued.index, log.leaves);
  if (!(await verifyInclusion(issued.index, log.checkpoint.size, log.leaves[issued.index]!, proof, log.checkpoint.root)))
    return fail('inclusion_failed', `the inclusion proof of entry ${issued.index} does not verify against the checkpoint`, base);

  const event = issued.entry.event;
  if (event.type !== 'attestation.issued') throw new TypeError('found an issuance entry that is not one');
  const attestation = event.attestation;
  // Every change the log holds, in log order, whatever instant its entry names: the bundle reads its
  // lists before its log, and instances' clocks differ by a little.
  const status = statusFromLog(log.entries, attestation);
  const statusAt = statusFromLog(log.entries, attestation, times.at);
  const finding: LogFinding = {
    ...base,
    index: issued.index,
    attestation,
    ...(status ? { status } : {}),
    ...(statusAt ? { statusAt: { ...statusAt, asked: times.at.toISOString() } } : {}),
  };
  if (subject.listStatus !== undefined && status && status.value !== subject.listStatus) {
    // A change committed while the bundle was being made can reach its log and not its lists: only
    // a disagreement older than that is one of them misstating the status.
    if (times.statusAsOf.getTime() - Date.parse(status.at) <= STATUS_SETTLE_MS)
      return pass(
        'status_in_flight',
        `the log's history ends in ${status.value} (entry ${status.index}, ${status.at}), a change made as the bundle was made that its status lists (${subject.listStatus}) do not show yet`,
        finding,
      );
    return fail(
      'log_status_mismatch',
      `the status lists say ${subject.listStatus}, the log's history ends in ${status.value} (entry ${status.index}): one of them misstates it`,
      finding,
    );
  }
  return pass(
    'ok',
    `issuance entry ${issued.index} of ${log.checkpoint.size}, proved included under the signed checkpoint${status ? `; status in the log: ${status.value}` : ''}`,
    finding,
  );
}
