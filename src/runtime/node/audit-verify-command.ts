import { readFile, stat } from 'node:fs/promises';
import { checkAuditPackage, type PackageReport } from '../../transparency/audit-package-check.ts';
import { readAuditPackage } from '../../transparency/audit-package-files.ts';
import { UnreadablePackage } from '../../transparency/audit-package.ts';
import { TransparencyError } from '../../transparency/errors.ts';
import { parseVerifierKey, type NoteVerifier } from '../../transparency/note.ts';
import { printable } from '../../verify/report-text.ts';
import { UnreadableFile } from './bounded-file.ts';
import { UsageError } from './usage-error.ts';

/** A package of the largest export (20,000 entries with their proofs) is tens of megabytes; this leaves room. */
const MAX_PACKAGE_BYTES = 256 * 1024 * 1024;

export interface AuditVerifyArgs {
  readonly file: string | undefined;
  readonly expectKey: string | undefined;
  readonly json: boolean;
}

async function readPackageFile(path: string): Promise<Uint8Array> {
  try {
    if ((await stat(path)).size > MAX_PACKAGE_BYTES)
      throw new UnreadableFile(`audit package ${path} is larger than ${MAX_PACKAGE_BYTES} bytes`);
    return new Uint8Array(await readFile(path));
  } catch (e) {
    if (e instanceof UnreadableFile) throw e;
    throw new UnreadableFile(`cannot read audit package ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function textReport(r: PackageReport, format: string): string {
  const lines = [
    `${r.verified ? 'VERIFIED' : 'NOT VERIFIED'}: audit export (${format}) of the log ${printable(r.origin)}`,
    `  range:      ${printable(r.from)} to ${printable(r.to)}, ${r.entries} entries`,
  ];
  if (r.checkpoint)
    lines.push(`  checkpoint: size ${r.checkpoint.size}, root ${r.checkpoint.root}`, `  signed by:  ${printable(r.checkpoint.signedBy)}`);
  for (const p of r.problems) lines.push(`  ${p.code}: ${printable(p.message)}`);
  if (r.verified) lines.push('  every entry is in canonical form, within the range, and proved included in the signed checkpoint');
  return `${lines.join('\n')}\n`;
}

/**
 * `launchproof audit verify PACKAGE [--expect-key VKEY] [--json]`: checks an audit export's
 * package (JSON, CSV or zip) with nothing but the file. Without --expect-key the checkpoint is
 * opened with a log key the package itself carries, which proves only that whoever made the
 * package holds that key: pin the log's verifier key, obtained from a source you trust, to prove
 * it is the log's. Exit 0 verified, 1 not verified (each failure named), 2 usage or a file that
 * is not a package at all.
 */
export async function auditVerifyCommand(
  args: AuditVerifyArgs,
  out: (text: string) => Promise<void> | void,
  err: (text: string) => void,
): Promise<number> {
  if (args.file === undefined || args.file === '') throw new UsageError('audit verify needs the PACKAGE file (json, csv or zip)');
  let expectKey: NoteVerifier | undefined;
  if (args.expectKey !== undefined) {
    try {
      expectKey = await parseVerifierKey(args.expectKey);
    } catch (e) {
      if (e instanceof TransparencyError)
        throw new UsageError('--expect-key must be the log’s verifier key text (NAME+KEYID+BASE64), as the tenant publishes it');
      throw e;
    }
  }
  try {
    const { package: p, format } = readAuditPackage(await readPackageFile(args.file));
    const report = await checkAuditPackage(p, expectKey ? { expectKey } : {});
    await out(
      args.json
        ? `${JSON.stringify({ ...report, format, tenant: p.tenant, export_id: p.exportId, built_at: p.builtAt, key_pinned: expectKey !== undefined }, null, 2)}\n`
        : textReport(report, format),
    );
    return report.verified ? 0 : 1;
  } catch (e) {
    if (e instanceof UnreadableFile || e instanceof UnreadablePackage) {
      err(`launchproof: ${printable(e.message)}\n`);
      return 2;
    }
    throw e;
  }
}
