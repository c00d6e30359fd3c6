import { readZip, writeZip, ZipError } from '../util/zip.ts';
import { packageCsv, packageJson, parsePackageCsv, parsePackageJson, UnreadablePackage, type AuditPackage } from './audit-package.ts';

/*
 * The three forms a package is delivered in, and reading any of them back: `json`, `csv`, and
 * `zip` (package.json, entries.csv, checkpoint.txt and a README.txt saying how to check them).
 * The zip's JSON and CSV are the same package twice, for whichever tool the auditor has; the
 * reader requires that they agree, so neither can be altered alone.
 */

export type AuditPackageFormat = 'json' | 'csv' | 'zip';

export const AUDIT_PACKAGE_MEDIA_TYPES: Record<AuditPackageFormat, string> = {
  json: 'application/json',
  csv: 'text/csv; charset=utf-8; header=present',
  zip: 'application/zip',
};

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function readme(p: AuditPackage): string {
  return [
    `Audit export ${p.exportId} of the transparency log ${p.origin}`,
    `Entries whose change happened from ${p.from} to ${p.to}; built ${p.builtAt}.`,
    '',
    'package.json    the whole package: every entry with its index, exact text, leaf hash and',
    '                inclusion proof, the checkpoint they are proved against, the log keys',
    'entries.csv     the same package as CSV (the first records hold the checkpoint and keys)',
    'checkpoint.txt  the checkpoint: a C2SP signed note of the log key',
    '',
    'Check it offline:  launchproof audit verify THIS.zip --expect-key "VERIFIER KEY"',
    'with the log verifier key you obtained from the tenant (its DID document or trust bundle).',
    'Each leaf hash is SHA-256(0x00 || entry), each proof an RFC 9162 inclusion proof.',
    '',
  ].join('\r\n');
}

/** The package in `format`, as the bytes to store and serve. */
export function packageBytes(p: AuditPackage, format: AuditPackageFormat, at: Date): Uint8Array {
  if (format === 'json') return utf8.encode(packageJson(p));
  if (format === 'csv') return utf8.encode(packageCsv(p));
  return writeZip(
    [
      { name: 'package.json', data: utf8.encode(packageJson(p)) },
      { name: 'entries.csv', data: utf8.encode(packageCsv(p)) },
      { name: 'checkpoint.txt', data: utf8.encode(p.checkpoint) },
      { name: 'README.txt', data: utf8.encode(readme(p)) },
    ],
    at,
  );
}

function text(bytes: Uint8Array, what: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new UnreadablePackage(`${what} is not UTF-8 text`);
  }
}

/** The package in any of its forms, and which form it was; UnreadablePackage when it is none. */
export function readAuditPackage(bytes: Uint8Array): { package: AuditPackage; format: AuditPackageFormat } {
  if (bytes[0] === 0x50 && bytes[1] === 0x4b) {
    let files;
    try {
      files = readZip(bytes);
    } catch (e) {
      if (e instanceof ZipError) throw new UnreadablePackage(`the zip cannot be read: ${e.message}`);
      throw e;
    }
    const file = (name: string) => {
      const found = files.filter((f) => f.name === name);
      if (found.length !== 1) throw new UnreadablePackage(`the zip holds ${found.length === 0 ? 'no' : 'more than one'} ${name}`);
      return text(found[0]!.data, name);
    };
    const fromJson = parsePackageJson(file('package.json'));
    const fromCsv = parsePackageCsv(file('entries.csv'));
    if (packageJson(fromJson) !== packageJson(fromCsv)) throw new UnreadablePackage('package.json and entries.csv of the zip differ');
    if (file('checkpoint.txt') !== fromJson.checkpoint) throw new UnreadablePackage('checkpoint.txt is not the checkpoint of package.json');
    return { package: fromJson, format: 'zip' };
  }
  const body = text(bytes, 'the package');
  if (/^\s*\{/.test(body)) return { package: parsePackageJson(body), format: 'json' };
  if (body.startsWith('record,')) return { package: parsePackageCsv(body), format: 'csv' };
  throw new UnreadablePackage('the package is neither JSON, CSV nor zip');
}
