import { z } from 'zod';

/*
 * An audit export's package (docs/transparency-log.md, Audit export): the log entries whose
 * change happened between two instants, each with its index, exact text, leaf hash and inclusion
 * proof against one checkpoint, with that checkpoint (the signed note as the log serves it), the
 * log's origin and the verifier keys of its log keys. Everything an auditor needs to check it
 * offline is in it, in each of its forms: one JSON document, or one CSV file (the package's own
 * facts as leading rows, then a row per entry), or a zip of both. Hashes are lower-case hex, as
 * sha256sum prints them.
 */

export const AUDIT_PACKAGE_FORMAT = 'launchproof-audit-export/1';

export interface AuditPackageEntry {
  readonly index: number;
  /** The entry's exact text: its leaf hash is SHA-256(0x00 || UTF-8 of this). */
  readonly entry: string;
  readonly leafHash: string;
  readonly inclusionProof: readonly string[];
}

export interface AuditPackage {
  readonly tenant: string;
  readonly exportId: string;
  /** The range asked for, RFC 3339 UTC. */
  readonly from: string;
  readonly to: string;
  readonly builtAt: string;
  readonly origin: string;
  /** The signed note every proof is against. */
  readonly checkpoint: string;
  /** The verifier key text of every log key the log has had (C2SP signed-note form). */
  readonly logKeys: readonly string[];
  readonly entries: readonly AuditPackageEntry[];
}

/** A package that cannot be read at all (not JSON, CSV or zip of one, or missing a part): nothing about the log follows from it. */
export class UnreadablePackage extends Error {
  override readonly name = 'UnreadablePackage';
}

const hex = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 hash in lower-case hex');
const line = z.string().min(1).max(2000);

const wireSchema = z.strictObject({
  format: z.literal(AUDIT_PACKAGE_FORMAT),
  tenant: line,
  export_id: line,
  from: line,
  to: line,
  built_at: line,
  log: z.strictObject({ origin: line, checkpoint: z.string().min(1).max(100_000), keys: z.array(z.string().min(1).max(2000)).max(1000) }),
  entries: z
    .array(
      z.strictObject({
        index: z.number().int().nonnegative(),
        entry: z.string().max(200_000),
        leaf_hash: hex,
        inclusion_proof: z.array(hex).max(64),
      }),
    )
    .max(1_000_000),
});

/** The package as one JSON document (snake_case, as the API speaks). */
export function packageJson(p: AuditPackage): string {
  return `${JSON.stringify(
    {
      format: AUDIT_PACKAGE_FORMAT,
      tenant: p.tenant,
      export_id: p.exportId,
      from: p.from,
      to: p.to,
      built_at: p.builtAt,
      log: { origin: p.origin, checkpoint: p.checkpoint, keys: p.logKeys },
      entries: p.entries.map((e) => ({ index: e.index, entry: e.entry, leaf_hash: e.leafHash, inclusion_proof: e.inclusionProof })),
    },
    null,
    2,
  )}\n`;
}

/** A package from its JSON document; UnreadablePackage naming the first thing wrong. */
export function parsePackageJson(text: string): AuditPackage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UnreadablePackage('the package is not JSON');
  }
  const parsed = wireSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UnreadablePackage(`the package JSON is not an audit export at /${issue.path.join('/')}: ${issue.message}`);
  }
  const w = parsed.data;
  return {
    tenant: w.tenant,
    exportId: w.export_id,
    from: w.from,
    to: w.to,
    builtAt: w.built_at,
    origin: w.log.origin,
    checkpoint: w.log.checkpoint,
    logKeys: w.log.keys,
    entries: w.entries.map((e) => ({ index: e.index, entry: e.entry, leafHash: e.leaf_hash, inclusionProof: e.inclusion_proof })),
  };
}

/*
 * CSV (RFC 4180: CRLF between records, a field quoted when it holds a comma, a quote or a line
 * break, quotes doubled). Columns: record, index, text, leaf_hash, inclusion_proof (hashes
 * separated by spaces). The leading records carry the package's facts in `text`, one per record
 * (`log_key` once per key, `checkpoint` with its line breaks inside the quotes); then one
 * `entry` record per entry. So the CSV alone can be verified, and a spreadsheet shows it whole.
 */

const CSV_HEADER = ['record', 'index', 'text', 'leaf_hash', 'inclusion_proof'] as const;

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The package as CSV. */
export function packageCsv(p: AuditPackage): string {
  const fact = (name: string, value: string) => [name, '', value, '', ''];
  const rows: string[][] = [
    [...CSV_HEADER],
    fact('format', AUDIT_PACKAGE_FORMAT),
    fact('tenant', p.tenant),
    fact('export_id', p.exportId),
    fact('from', p.from),
    fact('to', p.to),
    fact('built_at', p.builtAt),
    fact('origin', p.origin),
    fact('checkpoint', p.checkpoint),
    ...p.logKeys.map((k) => fact('log_key', k)),
    ...p.entries.map((e) => ['entry', String(e.index), e.entry, e.leafHash, e.inclusionProof.join(' ')]),
  ];
  return rows.map((r) => `${r.map(csvField).join(',')}\r\n`).join('');
}

/** The records of RFC 4180 text (a bare LF also ends a record, as some tools write them). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  let started = false;
  const endField = () => {
    record.push(field);
    field = '';
    started = false;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        if (i < text.length && !/[,\r\n]/.test(text[i]!)) throw new UnreadablePackage(`CSV: text after a closing quote at character ${i}`);
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && !started && field === '') {
      quoted = true;
      started = true;
      i++;
    } else if (c === ',') {
      endField();
      i++;
    } else if (c === '\r' || c === '\n') {
      endField();
      records.push(record);
      record = [];
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      if (c === '"') throw new UnreadablePackage(`CSV: a quote inside an unquoted field at character ${i}`);
      field += c;
      started = true;
      i++;
    }
  }
  if (quoted) throw new UnreadablePackage('CSV: a quoted field is not closed');
  if (started || field !== '' || record.length > 0) {
    endField();
    records.push(record);
  }
  return records;
}

const INDEX = /^(?:0|[1-9][0-9]{0,15})$/;

/** A package from its CSV; UnreadablePackage naming the first thing wrong. */
export function parsePackageCsv(text: string): AuditPackage {
  const [header, ...records] = parseCsv(text);
  if (!header || header.join(',') !== CSV_HEADER.join(','))
    throw new UnreadablePackage(`the CSV does not start with the header ${CSV_HEADER.join(',')}`);
  const facts = new Map<string, string>();
  const logKeys: string[] = [];
  const entries: AuditPackageEntry[] = [];
  records.forEach((r, n) => {
    const where = `CSV record ${n + 2}`;
    if (r.length !== CSV_HEADER.length) throw new UnreadablePackage(`${where} has ${r.length} fields, not ${CSV_HEADER.length}`);
    const [record, index, value, leaf, proof] = r as [string, string, string, string, string];
    if (record === 'entry') {
      if (!INDEX.test(index)) throw new UnreadablePackage(`${where}: the index is not a whole number`);
      const proofHashes = proof === '' ? [] : proof.split(' ');
      if (![leaf, ...proofHashes].every((h) => /^[0-9a-f]{64}$/.test(h)))
        throw new UnreadablePackage(`${where}: a hash is not SHA-256 in lower-case hex`);
      entries.push({ index: Number(index), entry: value, leafHash: leaf, inclusionProof: proofHashes });
    } else if (record === 'log_key') logKeys.push(value);
    else if (['format', 'tenant', 'export_id', 'from', 'to', 'built_at', 'origin', 'checkpoint'].includes(record)) {
      if (facts.has(record)) throw new UnreadablePackage(`${where}: a second ${record} record`);
      facts.set(record, value);
    } else throw new UnreadablePackage(`${where}: an unknown record ${JSON.stringify(record.slice(0, 40))}`);
  });
  const fact = (name: string) => {
    const v = facts.get(name);
    if (!v) throw new UnreadablePackage(`the CSV has no ${name} record`);
    return v;
  };
  if (fact('format') !== AUDIT_PACKAGE_FORMAT) throw new UnreadablePackage(`the CSV is not of the format ${AUDIT_PACKAGE_FORMAT}`);
  return {
    tenant: fact('tenant'),
    exportId: fact('export_id'),
    from: fact('from'),
    to: fact('to'),
    builtAt: fact('built_at'),
    origin: fact('origin'),
    checkpoint: fact('checkpoint'),
    logKeys,
    entries,
  };
}
