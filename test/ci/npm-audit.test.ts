import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * scripts/npm-audit.mjs, the audit step of .ci/run, against a registry faked at the network edge
 * (the real one is outside this machine, and the one this machine reaches refuses the advisory
 * POST). It must fail the run on a high advisory, pass a clean audit, and never take an audit
 * that could not be asked for a pass.
 */
const REPO = join(import.meta.dirname, '../..');

type Answer = 'high' | 'none' | 'refused';

function fakeRegistry(answer: Answer): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST' && req.url?.endsWith('/-/npm/v1/security/advisories/bulk')) {
        if (answer === 'refused') {
          res.writeHead(405, { allow: 'GET,HEAD' });
          return res.end();
        }
        const advisory = {
          id: 1,
          url: 'https://advisories.invalid/GHSA-test',
          title: 'a test advisory',
          severity: 'high',
          vulnerable_versions: '<99.0.0',
          cwe: [],
          cvss: { score: 7.5, vectorString: null },
        };
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(answer === 'high' ? { hono: [advisory] } : {}));
      }
      // Packuments npm asks for to describe a fix: none here.
      res.writeHead(404);
      res.end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })),
  );
}

function audit(registry: string): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['scripts/npm-audit.mjs'], {
      cwd: REPO,
      env: { ...process.env, npm_config_registry: registry, npm_config_audit: 'true' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (status) => resolve({ status, out }));
  });
}

describe('the npm audit step', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('fails on a high advisory in a production package, naming it', async () => {
    const registry = await fakeRegistry('high');
    server = registry.server;
    const r = await audit(registry.url);
    expect(r.status, r.out).toBe(1);
    expect(r.out).toMatch(/npm audit: high hono/);
    expect(r.out).toMatch(/npm audit: FAILED, \d+ high and 0 critical/);
  });

  it('passes when the audit runs and finds nothing', async () => {
    const registry = await fakeRegistry('none');
    server = registry.server;
    const r = await audit(registry.url);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('npm audit: no high or critical advisory');
  });

  it('says NOT RUN, with its own exit code, when the advisory endpoint refuses the request', async () => {
    const registry = await fakeRegistry('refused');
    server = registry.server;
    const r = await audit(registry.url);
    expect(r.status, r.out).toBe(3);
    expect(r.out).toContain('npm audit: NOT RUN');
    expect(r.out).toContain('this is not a pass');
  });
});
