/**
 * `launchproof verifier-html` as an auditor runs it: a real child process, a saved bundle, no
 * network (the no-network fixture fails the run on any attempt), no database, no configuration
 * (a broken one is set on purpose: a command that read it would exit 2 for that instead).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustBundleDigest } from '../../src/verify/bundle-digest.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, testWebAssets, type Harness } from '../support/harness.ts';
import { issueAll } from './support.ts';
import { offlineCli as cli } from '../support/offline-cli.ts';

describe('launchproof verifier-html', () => {
  let t: TestDatabase;
  let h: Harness;
  let dir: string;
  let bundle: string;
  const file = (name: string) => join(dir, name);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'launchproof-verifier-html-'));
    t = await freshPglite();
    h = await harness(t.db);
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme Corp' } })).status).toBe(201);
    await issueAll(h, 'acme');
    // Saved as a user would, with the newline an editor adds: the file's bytes are what is embedded and digested.
    bundle = `${await (await h.request('GET', '/t/acme/trust-bundle.json')).text()}\n`;
    const signed = JSON.parse(bundle) as { payload: string };
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(signed.payload))) as Record<string, unknown>;
    await Promise.all([
      writeFile(file('bundle.json'), bundle),
      writeFile(
        file('redated.json'),
        JSON.stringify({ ...signed, payload: base64url.encode(JSON.stringify({ ...payload, generated_at: '2030-01-01T00:00:00Z' })) }),
      ),
    ]);
  });
  afterAll(async () => {
    await t.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the offline verifier from a saved bundle, embedded byte for byte, with no network, database or configuration', async () => {
    const run = await cli('verifier-html', '--bundle', file('bundle.json'), '-o', file('acme-verifier.html'));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(await trustBundleDigest(bundle));
    const html = await readFile(file('acme-verifier.html'), 'utf8');
    const open = '<script type="application/json" id="trust-bundle">';
    const start = html.indexOf(open) + open.length;
    expect(html.slice(start, html.indexOf('</script>', start))).toBe(bundle);
    expect(html).toContain(`<script>${testWebAssets().verifyScript}</script>`);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-/);
  });

  it('refuses an unusable bundle with exit 2, saying why, and writes nothing', async () => {
    const run = await cli('verifier-html', '--bundle', file('redated.json'), '-o', file('never.html'));
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('cannot be used (bad_bundle_signature)');
    await expect(readFile(file('never.html'))).rejects.toThrow();
  });

  it.each([
    ['no bundle named', ['verifier-html', '-o', 'x.html'], /needs --bundle/],
    ['no output named', ['verifier-html', '--bundle', 'b.json'], /needs -o FILE/],
    ['a bundle that is not there', ['verifier-html', '--bundle', '/nonexistent/bundle.json', '-o', 'x.html'], /cannot read trust bundle/],
  ])('exits 2 for %s', async (_what, args, message) => {
    const run = await cli(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
