/**
 * Baseline: the minimal Hono app a user might write to publish the same documents (bytes held
 * in memory, a precomputed ETag, 304 on a match). Run as a child: `node --import tsx
 * bench/baselines/hono-static.ts DOCUMENTS.json`; prints `listening PORT` on 127.0.0.1.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { readDocumentsFile } from './documents.ts';

const docs = readDocumentsFile(process.argv[2]!);
const app = new Hono();
for (const doc of docs.values()) {
  const body = new Uint8Array(doc.body);
  app.get(doc.path, (c) => {
    if (c.req.header('if-none-match') === doc.headers.etag) return c.body(null, 304, { etag: doc.headers.etag! });
    return c.body(body, 200, doc.headers);
  });
}
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(`listening ${info.port}`));
process.once('SIGTERM', () => process.exit(0));
