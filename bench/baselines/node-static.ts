/**
 * Baseline: a raw node:http server answering with the same documents (bytes in memory, the
 * same headers and ETag): the floor of what Node itself costs per request on this machine.
 * Run as a child: `node --import tsx bench/baselines/node-static.ts DOCUMENTS.json`; prints
 * `listening PORT` on 127.0.0.1.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readDocumentsFile } from './documents.ts';

const docs = readDocumentsFile(process.argv[2]!);
const server = createServer((req, res) => {
  const doc = req.method === 'GET' ? docs.get(req.url ?? '') : undefined;
  if (!doc) {
    res.writeHead(404).end();
    return;
  }
  if (req.headers['if-none-match'] === doc.headers.etag) {
    res.writeHead(304, { etag: doc.headers.etag }).end();
    return;
  }
  res.writeHead(200, { ...doc.headers, 'content-length': doc.body.length });
  res.end(doc.body);
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
