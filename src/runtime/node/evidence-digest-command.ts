import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { evidenceSchema, type Evidence } from '../../readiness/assessment.ts';
import { UnreadableFile } from './bounded-file.ts';
import { UsageError } from './usage-error.ts';

export interface EvidenceDigestArgs {
  readonly files: readonly string[];
  readonly collectedBy: string | undefined;
  readonly collectedAt: string | undefined;
  readonly mediaType: string | undefined;
  readonly baseUrl: string | undefined;
}

/** The media types evidence usually comes in; anything else is named with --media-type. */
const MEDIA_TYPES: Readonly<Record<string, string>> = {
  '.json': 'application/json',
  '.jsonl': 'application/jsonl',
  '.txt': 'text/plain',
  '.log': 'text/plain',
  '.md': 'text/markdown',
  '.csv': 'text/csv',
  '.html': 'text/html',
  '.xml': 'application/xml',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tar': 'application/x-tar',
};

/**
 * SHA-256 in the W3C Subresource Integrity form (`sha256-` + standard base64 of the 32 bytes),
 * the form an assessment's `digestSRI` takes. Streamed: evidence can be a large export.
 */
export async function sha256Sri(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha256-${hash.digest('base64')}`;
}

/**
 * Where the evidence will live. Under --base-url, the file's name there; otherwise a
 * content-addressed URN, since the digest (not the address) is what binds the evidence.
 */
function uriFor(path: string, digestSri: string, baseUrl: string | undefined): string {
  if (baseUrl === undefined) return `urn:sha256:${Buffer.from(digestSri.slice('sha256-'.length), 'base64').toString('hex')}`;
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return new URL(encodeURIComponent(basename(path)), base).href;
}

/**
 * `launchproof evidence digest FILE... --collected-by NAME`: a JSON array of evidence entries, one
 * per file, each exactly as a result's `evidence` holds it (checked against that schema before it
 * is printed). No configuration, no network. Exit 0, or 2 for a usage error or an unreadable file.
 */
export async function evidenceDigestCommand(
  args: EvidenceDigestArgs,
  out: (text: string) => Promise<void> | void,
  err: (text: string) => void,
): Promise<number> {
  if (args.files.length === 0) throw new UsageError('evidence digest needs at least one FILE');
  if (args.collectedBy === undefined || args.collectedBy.trim() === '')
    throw new UsageError('evidence digest needs --collected-by NAME: who (or which pipeline) collected the evidence');
  if (args.baseUrl !== undefined && !/^https:\/\/\S+$/.test(args.baseUrl)) throw new UsageError('--base-url must be an https URL');
  const collectedAt = args.collectedAt ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const entries: Evidence[] = [];
  for (const file of args.files) {
    let digestSRI: string;
    try {
      if (!(await stat(file)).isFile()) throw new UnreadableFile(`evidence ${file} is not a file`);
      digestSRI = await sha256Sri(file);
    } catch (e) {
      const message =
        e instanceof UnreadableFile ? e.message : `cannot read evidence ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`;
      err(`launchproof: ${message}\n`);
      return 2;
    }
    const candidate = {
      uri: uriFor(file, digestSRI, args.baseUrl),
      digestSRI,
      mediaType: args.mediaType ?? MEDIA_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      collectedAt,
      collectedBy: args.collectedBy,
    };
    const parsed = evidenceSchema.safeParse(candidate);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UsageError(`the evidence entry for ${file} would be refused: ${issue.path.join('.')} ${issue.message}`);
    }
    entries.push(parsed.data);
  }
  await out(`${JSON.stringify(entries, null, 2)}\n`);
  return 0;
}
