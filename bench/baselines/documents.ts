/**
 * The public documents a baseline server serves: the exact bytes and headers launchproof
 * answered with, fetched from it by the bench and handed over in a JSON file, so every server
 * on a line sends the same response body.
 */
import { readFileSync } from 'node:fs';

export interface ServedDocument {
  readonly path: string;
  /** content-type, cache-control and etag as launchproof sent them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

interface DocumentFileEntry {
  path: string;
  headers: Record<string, string>;
  body_base64: string;
}

export function writeDocumentsJson(docs: readonly ServedDocument[]): string {
  const entries: DocumentFileEntry[] = docs.map((d) => ({
    path: d.path,
    headers: { ...d.headers },
    body_base64: d.body.toString('base64'),
  }));
  return JSON.stringify(entries);
}

export function readDocumentsFile(file: string): Map<string, ServedDocument> {
  const entries = JSON.parse(readFileSync(file, 'utf8')) as DocumentFileEntry[];
  return new Map(entries.map((e) => [e.path, { path: e.path, headers: e.headers, body: Buffer.from(e.body_base64, 'base64') }]));
}
