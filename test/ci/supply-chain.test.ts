import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = join(import.meta.dirname, '..', '..');
const SECRETLINT = join(REPO, 'node_modules/secretlint/bin/secretlint.js');
const dir = mkdtempSync(join(tmpdir(), 'launchproof-supply-chain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The secret scan exactly as .ci/run runs it, on files in `cwd` (secretlint refuses paths outside its cwd). */
function scan(cwd: string, files: string[]) {
  return spawnSync(process.execPath, [SECRETLINT, '--secretlintrc', join(REPO, '.secretlintrc.json'), '--maskSecrets', ...files], {
    cwd,
    encoding: 'utf8',
  });
}

describe('the secret scan (.ci/run)', { timeout: 120_000 }, () => {
  it('fails on a private key planted in a file, and prints where without printing the key', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeFileSync(join(dir, 'deploy-notes.txt'), `staging key, remove before commit:\n${pem}`);
    const r = scan(dir, ['deploy-notes.txt']);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/deploy-notes\.txt[\s\S]*\[PrivateKey\]/);
    const body = pem.split('\n')[1]!;
    expect(r.stdout + r.stderr).not.toContain(body);
  });

  it('passes a file with nothing secret in it', () => {
    writeFileSync(join(dir, 'clean.json'), JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'public-only' }));
    expect(scan(dir, ['clean.json']).status).toBe(0);
  });

  it('passes every tracked file of the repository, test vectors included', () => {
    const files = spawnSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' }).stdout.split('\0').filter(Boolean);
    const r = scan(REPO, files);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });
});

describe('the SBOM (.ci/run)', { timeout: 120_000 }, () => {
  const sbom = join(dir, 'sbom.cdx.json');
  const check = (file: string) =>
    spawnSync(process.execPath, [join(REPO, 'scripts/check-sbom.mjs'), file], { cwd: REPO, encoding: 'utf8' });

  it('is CycloneDX and lists every runtime package of the lockfile, which the check confirms', () => {
    const made = spawnSync('npm', ['sbom', '--sbom-format', 'cyclonedx', '--package-lock-only'], { cwd: REPO, encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    writeFileSync(sbom, made.stdout);
    const bom = JSON.parse(made.stdout);
    expect(bom.bomFormat).toBe('CycloneDX');
    const required = bom.components.filter((c: { scope: string }) => c.scope === 'required').map((c: { name: string }) => c.name);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    expect(required).toEqual(expect.arrayContaining(Object.keys(pkg.dependencies)));
    expect(required).not.toContain('vitest');
    const r = check(sbom);
    expect(r.status, r.stderr).toBe(0);
  });

  it('is refused when a runtime package is missing from it', () => {
    const bom = JSON.parse(readFileSync(sbom, 'utf8'));
    bom.components = bom.components.filter((c: { name: string }) => c.name !== 'zod');
    writeFileSync(join(dir, 'partial.cdx.json'), JSON.stringify(bom));
    const r = check(join(dir, 'partial.cdx.json'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/zod@[\d.]+ \(runtime\) is missing/);
  });

  it('is refused when it is not CycloneDX at all', () => {
    writeFileSync(join(dir, 'spdx.json'), JSON.stringify({ spdxVersion: 'SPDX-2.3', packages: [] }));
    const r = check(join(dir, 'spdx.json'));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('bomFormat');
  });
});
