import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness } from '../support/harness.ts';
import { skipBecause } from '../support/skip.ts';
import { REPO } from './reproduce.ts';

const NGINX = '/usr/sbin/nginx';
const CADDY = '/usr/bin/caddy';
const HOST = 'issuer.example.test';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function collect(resolve: (a: Answer) => void) {
  return (res: import('node:http').IncomingMessage) => {
    let body = '';
    res.on('data', (d: Buffer) => (body += d.toString()));
    res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
  };
}

/**
 * ops/proxy/nginx.conf as an operator installs it, with this run's ports, certificate and
 * upstream put in place of the example ones, wrapped in the smallest main configuration.
 */
function nginxConfig(dir: string, ports: { https: number; http: number; upstream: number }): string {
  const site = readFileSync(join(REPO, 'ops/proxy/nginx.conf'), 'utf8');
  const replaced = site
    .replace(/listen 443 ssl http2;/, `listen 127.0.0.1:${ports.https} ssl http2;`)
    .replace(/listen 80;/, `listen 127.0.0.1:${ports.http};`)
    .replace(/server 127\.0\.0\.1:8080;/, `server 127.0.0.1:${ports.upstream};`)
    .replace(/\/etc\/letsencrypt\/live\/issuer\.example\.com\/fullchain\.pem/, join(dir, 'cert.pem'))
    .replace(/\/etc\/letsencrypt\/live\/issuer\.example\.com\/privkey\.pem/, join(dir, 'key.pem'))
    .replaceAll('issuer.example.com', HOST);
  // Every substitution must have found its line: a renamed directive fails here, not silently.
  for (const left of ['listen 443', 'listen 80;', ':8080;', '/etc/letsencrypt']) expect(replaced).not.toContain(left);
  const temp = join(dir, 'temp');
  return `pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${temp}/body;
  proxy_temp_path ${temp}/proxy;
  fastcgi_temp_path ${temp}/fastcgi;
  uwsgi_temp_path ${temp}/uwsgi;
  scgi_temp_path ${temp}/scgi;
${replaced}
}
`;
}

const nginxMissing = !existsSync(NGINX);

describe.skipIf(
  skipBecause(nginxMissing && process.env.CI !== 'true', 'nginx is not installed (apt-get install nginx-light; CI installs it)'),
)('ops/proxy/nginx.conf in front of the service', () => {
  let dir: string;
  let db: TestDatabase;
  let server: ServerType;
  let nginxStarted = false;
  const ports = { https: 0, http: 0, upstream: 0 };
  let ca: string;
  /** What the service received, per request path: the headers the proxy set. */
  const seen = new Map<string, { headers: Headers; clientAddress: string | undefined }>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'launchproof-nginx-'));
    chmodSync(dir, 0o755);
    // A throwaway certificate for this run only: key and certificate live and die in the temp dir.
    const cert = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${HOST}`,
        '-addext',
        `subjectAltName=DNS:${HOST}`,
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { encoding: 'utf8' },
    );
    expect(cert.status, cert.stderr).toBe(0);
    ca = readFileSync(join(dir, 'cert.pem'), 'utf8');

    db = await freshPglite();
    const h = await harness(db.db, { env: { PUBLIC_URL: `https://${HOST}` } });
    // Served as src/runtime/node/serve.ts serves it: the socket's address passed beside the request.
    server = serve({
      fetch: (req, env: { incoming?: { socket?: { remoteAddress?: string } } }) => {
        seen.set(new URL(req.url).pathname, { headers: new Headers(req.headers), clientAddress: env.incoming?.socket?.remoteAddress });
        return h.app.fetch(req, {
          ...h.bindings,
          ...(env.incoming?.socket?.remoteAddress ? { clientAddress: env.incoming.socket.remoteAddress } : {}),
        });
      },
      port: 0,
      hostname: '127.0.0.1',
    });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    ports.upstream = (server.address() as AddressInfo).port;
    ports.https = await freePort();
    ports.http = await freePort();

    mkdirSync(join(dir, 'temp'));
    // nginx's workers drop to nobody when started as root; they write request bodies here.
    if (process.getuid?.() === 0) chownSync(join(dir, 'temp'), 65534, 65534);
    writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, ports));
    const checked = spawnSync(NGINX, ['-t', '-q', '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    expect(checked.status, checked.stderr).toBe(0);
    // Daemonised, nginx's start command returns once its sockets are bound: a readiness signal, not a wait.
    const started = spawnSync(NGINX, ['-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    expect(started.status, started.stderr + readFileSync(join(dir, 'error.log'), 'utf8')).toBe(0);
    nginxStarted = true;
  });

  afterAll(async () => {
    if (nginxStarted) spawnSync(NGINX, ['-c', join(dir, 'nginx.conf'), '-s', 'stop']);
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await db?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  function viaTls(path: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: ports.https, servername: HOST, ca, path, method, headers: { host: HOST, ...headers } },
        collect(resolve),
      );
      req.once('error', reject);
      req.end(body);
    });
  }

  it('terminates TLS and passes the service its answer, with one HSTS header', async () => {
    const res = await viaTls('/healthz');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok' });
    expect(res.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    // The service's own security headers come through untouched.
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('tells the service the original scheme, host and client, appending to what the client claimed', async () => {
    await viaTls('/.well-known/did.json', { 'x-forwarded-for': '203.0.113.9' });
    const got = seen.get('/.well-known/did.json')!;
    expect(got.headers.get('x-forwarded-proto')).toBe('https');
    expect(got.headers.get('host')).toBe(HOST);
    expect(got.headers.get('x-forwarded-host')).toBe(HOST);
    // The right-most entry is nginx's own observation (TRUST_PROXY=1 reads it); the forged one stays on the left.
    expect(got.headers.get('x-forwarded-for')).toBe('203.0.113.9, 127.0.0.1');
    // The socket the service sees is the proxy's: without TRUST_PROXY every client would share its address.
    expect(got.clientAddress).toBe('127.0.0.1');
  });

  it('lets the service refuse an oversized body itself, as problem+json', async () => {
    const res = await viaTls(
      '/credentials/verify',
      { 'content-type': 'application/json' },
      'POST',
      JSON.stringify({ pad: 'x'.repeat(300_000) }),
    );
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
  });

  it('answers plain http with a redirect to https only', async () => {
    const res = await new Promise<Answer>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: ports.http, path: '/t/demo/did.json', headers: { host: HOST } }, collect(resolve));
      req.once('error', reject);
      req.end();
    });
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe(`https://${HOST}/t/demo/did.json`);
  });

  it('shows nginx’s own error pages with HSTS too, when the service is down', async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // nginx keeps idle upstream connections open (keepalive): close them so the service is really gone.
    if ('closeAllConnections' in server) server.closeAllConnections();
    await closed;
    const res = await viaTls('/healthz');
    expect(res.status).toBe(502);
    expect(res.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
  });
});

describe.skipIf(skipBecause(!existsSync(CADDY), 'caddy is not installed (apt-get install caddy): ops/proxy/Caddyfile not validated'))(
  'ops/proxy/Caddyfile',
  () => {
    it('is a valid Caddy configuration that proxies to the service with HSTS', () => {
      const home = mkdtempSync(join(tmpdir(), 'launchproof-caddy-'));
      try {
        const r = spawnSync(CADDY, ['adapt', '--config', join(REPO, 'ops/proxy/Caddyfile'), '--validate'], {
          encoding: 'utf8',
          // Caddy keeps state under $HOME; a temp one leaves the machine's untouched.
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home },
        });
        expect(r.status, r.stderr).toBe(0);
        const adapted = JSON.stringify(JSON.parse(r.stdout));
        expect(adapted).toContain('"dial":"127.0.0.1:8080"');
        expect(adapted).toContain('"Strict-Transport-Security":["max-age=63072000; includeSubDomains"]');
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    });
  },
);
