/**
 * Issue 14: one guarded edge for every outbound request someone else names. Real sockets on
 * 127.0.0.1 (this machine has no internet): a server that counts the connections it is offered
 * proves a refusal was made before any connection, and that the pinned edge connects only to the
 * address it checked, whatever the name answers the second time (DNS rebinding).
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SendRequest } from '../../src/outbound/edge.ts';
import { OutboundError } from '../../src/outbound/errors.ts';
import { createGuardedRequest, type GuardedRequestOptions } from '../../src/outbound/guarded-request.ts';
import { isPublicAddress } from '../../src/outbound/public-address.ts';
import { createPinnedEdge } from '../../src/runtime/node/pinned-fetch.ts';

async function refusal(work: Promise<unknown>): Promise<OutboundError> {
  const outcome = await work.then(
    () => new Error('expected a refusal, got an answer'),
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(OutboundError);
  return outcome as OutboundError;
}

/** A fake resolver: each call gets the next answer (the last one repeats), and every call is recorded. */
function resolver(answers: Record<string, string[][]>) {
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    const list = answers[hostname.replace(/\.$/, '')];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    const count = asked.filter((h) => h === hostname).length;
    return list[Math.min(count, list.length) - 1]!;
  };
  return { asked, resolve };
}

async function listening<S extends Server>(server: S): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function closing(server: Server): Promise<void> {
  (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A TCP server on 127.0.0.1 that accepts and drops every connection, counting them. */
async function countingServer() {
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections++;
    socket.destroy();
  });
  const port = await listening(server);
  return { port, connections: () => connections, close: () => closing(server) };
}

describe('the guard refuses what is not a public https destination, with no connection made', () => {
  let local: Awaited<ReturnType<typeof countingServer>>;
  beforeAll(async () => {
    local = await countingServer();
  });
  afterAll(() => local.close());

  const dns = () =>
    resolver({
      'loopback.example': [['127.0.0.1']],
      'mixed.example': [['93.184.216.34', '10.0.0.7']],
      'v6.example': [['2606:4700::1111', 'fd00::5']],
      localhost: [['127.0.0.1', '::1']],
    });

  const cases: [string, string][] = [
    ['http to 127.0.0.1', 'http://127.0.0.1:PORT/'],
    ['https to 127.0.0.1', 'https://127.0.0.1:PORT/'],
    ['[::1]', 'https://[::1]:PORT/'],
    ['[::ffff:127.0.0.1]', 'https://[::ffff:127.0.0.1]:PORT/'],
    ['[::ffff:7f00:1]', 'https://[::ffff:7f00:1]:PORT/'],
    ['0.0.0.0 (which Linux connects to this machine)', 'https://0.0.0.0:PORT/'],
    ['10.x', 'https://10.1.2.3:PORT/'],
    ['172.16.x', 'https://172.16.5.4:PORT/'],
    ['192.168.x', 'https://192.168.1.20:PORT/'],
    ['the cloud metadata address', 'https://169.254.169.254:PORT/latest/meta-data'],
    ['100.64.x (shared address space)', 'https://100.64.0.1:PORT/'],
    ['fc00::/7', 'https://[fc00::1]:PORT/'],
    ['fe80:: (link-local)', 'https://[fe80::1]:PORT/'],
    ['127.0.0.1 written 2130706433', 'https://2130706433:PORT/'],
    ['127.0.0.1 written 0x7f.1', 'https://0x7f.1:PORT/'],
    ['localhost', 'https://localhost:PORT/'],
    ['a.localhost', 'https://a.localhost:PORT/'],
    ['a *.internal name', 'https://metadata.internal:PORT/'],
    ['a name that resolves to 127.0.0.1', 'https://loopback.example:PORT/'],
    ['a name that resolves to one public and one private address', 'https://mixed.example:PORT/'],
    ['a name that resolves to a public and a unique-local IPv6 address', 'https://v6.example:PORT/'],
  ];

  it.each(cases)('refuses %s as unsafe_url', async (_name, template) => {
    const { resolve } = dns();
    const request = createGuardedRequest({ edge: createPinnedEdge({ resolve }), timeoutMs: 2000 });
    const error = await refusal(request({ url: template.replace('PORT', String(local.port)) }));
    expect(error.code).toBe('unsafe_url');
    expect(local.connections()).toBe(0);
  });

  // The pinned edge does not rely on the URL rules above it: handed an address or a name outright, it judges it itself.
  it.each([
    ['127.0.0.1', 'http://127.0.0.1:PORT/'],
    ['[::1]', 'http://[::1]:PORT/'],
    ['[::ffff:7f00:1]', 'http://[::ffff:7f00:1]:PORT/'],
    ['0.0.0.0', 'http://0.0.0.0:PORT/'],
    ['localhost, resolved', 'http://localhost:PORT/'],
    ['a name that resolves to 127.0.0.1', 'http://loopback.example:PORT/'],
    ['a name with one private answer among public ones', 'http://mixed.example:PORT/'],
  ])('the pinned edge alone refuses %s as unsafe_url', async (_name, template) => {
    const { resolve } = dns();
    const edge = createPinnedEdge({ resolve });
    const error = await refusal(edge.sendPinned(new Request(template.replace('PORT', String(local.port))), isPublicAddress));
    expect(error.code).toBe('unsafe_url');
    expect(local.connections()).toBe(0);
  });

  it('answers unresolvable, with no connection, for a name that does not resolve', async () => {
    const request = createGuardedRequest({ edge: createPinnedEdge({ resolve: dns().resolve }) });
    expect((await refusal(request({ url: `https://nowhere.example:${local.port}/` }))).code).toBe('unresolvable');
    expect(local.connections()).toBe(0);
  });
});

describe('DNS rebinding: a name that answers a public address to the check and 127.0.0.1 after', () => {
  let local: Awaited<ReturnType<typeof countingServer>>;
  beforeAll(async () => {
    local = await countingServer();
  });
  afterAll(() => local.close());

  const rebinding = () => resolver({ 'rebind.example': [['93.184.216.34'], ['127.0.0.1']] });

  /**
   * What the old path amounted to on Node: check the addresses, then hand the request to an edge
   * that resolves the name again for its connection, as global fetch does. Global fetch cannot be
   * given a resolver, so this edge stands in for it: node:https with a lookup that asks the same
   * resolver again and checks nothing.
   */
  function resolvingAgain(resolve: (hostname: string) => Promise<string[]>): SendRequest {
    return (request) =>
      new Promise((settle, fail) => {
        const url = new URL(request.url);
        const outgoing = httpRequest({
          host: url.hostname,
          port: Number(url.port),
          path: url.pathname,
          agent: false,
          lookup: (hostname, _options, callback) => {
            resolve(hostname).then(
              (addresses) => callback(null, [{ address: addresses[0]!, family: 4 }]),
              (error: Error) => callback(error, ''),
            );
          },
        });
        outgoing.on('error', fail);
        outgoing.on('response', () => settle(new Response('reached')));
        outgoing.end();
      });
  }

  it('got through the check-then-fetch path: the connection went to this machine', async () => {
    const dns = rebinding();
    const request = createGuardedRequest({ edge: resolvingAgain(dns.resolve), resolveHost: dns.resolve, timeoutMs: 2000 });
    await refusal(request({ url: `https://rebind.example:${local.port}/` }));
    expect(dns.asked).toEqual(['rebind.example', 'rebind.example']);
    expect(local.connections()).toBe(1);
  });

  it('does not get through the pinned edge: resolved once, and only the checked public address is tried', async () => {
    const before = local.connections();
    const dns = rebinding();
    const request = createGuardedRequest({ edge: createPinnedEdge({ resolve: dns.resolve }), timeoutMs: 1500 });
    // 93.184.216.34 cannot be reached from here: the refusal is the network's or the deadline's, never the guard's.
    const error = await refusal(request({ url: `https://rebind.example:${local.port}/` }));
    expect(['network', 'timeout']).toContain(error.code);
    expect(dns.asked).toEqual(['rebind.example']);
    expect(local.connections()).toBe(before);
  });
});

describe('the pinned edge over TLS: the name for SNI and Host, the checked address for the socket', () => {
  let dir: string;
  let cert: string;
  let key: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'launchproof-edge-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=issuer.example', '-addext', 'subjectAltName=DNS:issuer.example',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' }); // prettier-ignore
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reaches a name that exists only in the checked answer, with SNI and Host naming it, resolving it once', async () => {
    const seen: { servername?: string | false; host?: string; path?: string }[] = [];
    const server = createHttpsServer({ cert, key }, (req, res) => {
      seen.push({ servername: (req.socket as { servername?: string | false }).servername, host: req.headers.host, path: req.url });
      res.end('{"ok":true}');
    });
    const port = await listening(server);
    try {
      // The second answer would be refused: it is never asked for.
      const dns = resolver({ 'issuer.example': [['127.0.0.1'], ['10.9.9.9']] });
      const request = createGuardedRequest({
        edge: createPinnedEdge({ resolve: dns.resolve, ca: cert }),
        policy: { allowLoopbackHttp: true },
      });
      const result = await request({ url: `https://issuer.example.:${port}/did.json?x=1` });
      expect(result.status).toBe(200);
      expect(new TextDecoder().decode(result.body)).toBe('{"ok":true}');
      expect(dns.asked).toEqual(['issuer.example.']);
      expect(seen).toEqual([{ servername: 'issuer.example', host: `issuer.example.:${port}`, path: '/did.json?x=1' }]);
    } finally {
      await closing(server);
    }
  });
});

describe('with the development allowance (allowLoopbackHttp), against a local http server', () => {
  type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;
  let handler: Handler = (_req, res) => res.end();
  const requests: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const sockets = { opened: 0, closed: 0 };
  let port: number;
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method, url: req.url, headers: req.headers, body: body.toString('utf8') });
      handler(req, res, body);
    });
  });
  server.on('connection', (socket) => {
    sockets.opened++;
    socket.on('close', () => sockets.closed++);
  });

  beforeAll(async () => {
    port = await listening(server);
  });
  afterAll(() => closing(server));
  afterEach(() => {
    requests.length = 0;
  });

  const guarded = (options: Partial<GuardedRequestOptions> = {}) =>
    createGuardedRequest({ edge: createPinnedEdge(), policy: { allowLoopbackHttp: true }, ...options });

  it('delivers a POST with its headers and body, and gives back the status, headers, body and time taken', async () => {
    handler = (_req, res) => {
      res.writeHead(202, { 'x-receipt': 'r-1', 'content-type': 'text/plain' });
      res.end('accepted');
    };
    const result = await guarded()({
      url: `http://127.0.0.1:${port}/hooks/in?tenant=acme`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' },
      body: '{"type":"attestation.issued"}',
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      method: 'POST',
      url: '/hooks/in?tenant=acme',
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1', host: `127.0.0.1:${port}`, 'content-length': '29' },
      body: '{"type":"attestation.issued"}',
    });
    expect(result.status).toBe(202);
    expect(result.headers.get('x-receipt')).toBe('r-1');
    expect(new TextDecoder().decode(result.body)).toBe('accepted');
    expect(result.elapsedMs).toBeGreaterThan(0);
  });

  it('reaches http://localhost through the system resolver, whose answers are loopback', async () => {
    handler = (_req, res) => res.end('here');
    const result = await guarded()({ url: `http://localhost:${port}/` });
    expect(new TextDecoder().decode(result.body)).toBe('here');
  });

  it('gives back an error status as a result, not a refusal, and its body up to the cap', async () => {
    handler = (_req, res) => {
      res.writeHead(503);
      res.end('x'.repeat(100));
    };
    const result = await guarded({ maxBytes: 100 })({ url: `http://127.0.0.1:${port}/` });
    expect(result.status).toBe(503);
    expect(result.body).toHaveLength(100);
  });

  it('leaves a body unread when the caller does not want it', async () => {
    handler = (_req, res) => res.end('x'.repeat(10_000));
    const result = await guarded({ maxBytes: 100 })({ url: `http://127.0.0.1:${port}/`, readBody: () => false });
    expect(result.status).toBe(200);
    expect(result.body).toHaveLength(0);
  });

  it('refuses a 302 as a redirect, and never requests its Location', async () => {
    handler = (req, res) => {
      res.writeHead(req.url === '/start' ? 302 : 200, { location: `http://127.0.0.1:${port}/elsewhere` });
      res.end();
    };
    const error = await refusal(guarded()({ url: `http://127.0.0.1:${port}/start`, method: 'POST', body: 'x' }));
    expect(error.code).toBe('redirect');
    expect(requests.map((r) => r.url)).toEqual(['/start']);
  });

  it('gives up on a server that never answers at the deadline, and closes the connection', async () => {
    handler = () => {};
    const closedBefore = sockets.closed;
    const started = performance.now();
    const error = await refusal(guarded({ timeoutMs: 300 })({ url: `http://127.0.0.1:${port}/slow` }));
    expect(error.code).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(3000);
    await expect.poll(() => sockets.closed).toBeGreaterThan(closedBefore);
  });

  it('gives up on a body that trickles past the deadline', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('{"a":');
    };
    const error = await refusal(guarded({ timeoutMs: 300 })({ url: `http://127.0.0.1:${port}/trickle` }));
    expect(error.code).toBe('timeout');
  });

  it('refuses an endless body as too_large, reading little past the cap, and hangs up', async () => {
    let written = 0;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      const pump = () => {
        // Stops when the socket pushes back or goes away: what the server could hand over is what was read, plus buffers.
        while (!res.destroyed && res.write(chunk)) written += chunk.length;
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    };
    const closedBefore = sockets.closed;
    const error = await refusal(guarded({ maxBytes: 64 * 1024 })({ url: `http://127.0.0.1:${port}/endless` }));
    expect(error.code).toBe('too_large');
    await expect.poll(() => sockets.closed).toBeGreaterThan(closedBefore);
    // Socket buffers on both sides hold a few MiB at most; an edge that buffered the body would never have returned.
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses a declared content-length over the cap before reading any of it', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
      res.write('x');
    };
    const error = await refusal(guarded({ maxBytes: 1024 })({ url: `http://127.0.0.1:${port}/declared` }));
    expect(error.code).toBe('too_large');
  });

  it.each([
    ['http to a public name', 'http://issuer.example/'],
    ['http to a private address', 'http://10.0.0.1:PORT/'],
    ['https to a unique-local address', 'https://[fd00::1]:PORT/'],
    ['a *.localhost name', 'http://a.localhost:PORT/'],
  ])('still refuses %s', async (_name, template) => {
    const opened = sockets.opened;
    const error = await refusal(guarded()({ url: template.replace('PORT', String(port)) }));
    expect(error.code).toBe('unsafe_url');
    expect(sockets.opened).toBe(opened);
  });

  it('still refuses https to a name that resolves to a private address', async () => {
    const dns = resolver({ 'office.example': [['192.168.1.5']] });
    const error = await refusal(guarded({ edge: createPinnedEdge({ resolve: dns.resolve }) })({ url: `https://office.example:${port}/` }));
    expect(error.code).toBe('unsafe_url');
  });

  it('keeps http to loopback addresses only, even for localhost resolving elsewhere', async () => {
    const dns = resolver({ localhost: [['93.184.216.34']] });
    const error = await refusal(guarded({ edge: createPinnedEdge({ resolve: dns.resolve }) })({ url: `http://localhost:${port}/` }));
    expect(error.code).toBe('unsafe_url');
  });

  it('is off by default: the same local server is refused', async () => {
    const opened = sockets.opened;
    const error = await refusal(createGuardedRequest({ edge: createPinnedEdge() })({ url: `http://127.0.0.1:${port}/` }));
    expect(error.code).toBe('unsafe_url');
    expect(sockets.opened).toBe(opened);
  });
});
