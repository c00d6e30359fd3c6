import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Bundles the Worker exactly as `wrangler deploy` would, offline: the test then runs the
 * deployable artefact, JSON imports and the postgres "workerd" export condition included,
 * not a test-only build of the sources.
 */
export async function bundleWorker(outdir: string): Promise<string> {
  // No token and no telemetry: the dry run must never reach Cloudflare, and cannot here anyway.
  const { CLOUDFLARE_API_TOKEN: _token, CLOUDFLARE_API_KEY: _key, ...inherited } = process.env;
  const env = { ...inherited, CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false' };
  const wrangler = join(REPO_ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
  await promisify(execFile)(process.execPath, [wrangler, 'deploy', '--dry-run', '--outdir', outdir], {
    cwd: REPO_ROOT,
    env,
    timeout: 90_000,
  });
  return join(outdir, 'index.js');
}

/** The runtime settings the deployment declares, so workerd runs the Worker as Cloudflare would. */
export async function deployedCompatibility(): Promise<{ compatibilityDate: string; compatibilityFlags: string[] }> {
  const toml = await readFile(join(REPO_ROOT, 'wrangler.toml'), 'utf8');
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (!date || flags === undefined) throw new TypeError('wrangler.toml lacks compatibility_date or compatibility_flags');
  return { compatibilityDate: date, compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) };
}

/**
 * Miniflare refuses a Hyperdrive URL without a password. The test servers use trust
 * authentication, which never asks for one, so a placeholder satisfies the check and is unused.
 */
export function hyperdriveUrl(url: string): string {
  const u = new URL(url);
  if (!u.password) u.password = 'unused-with-trust-auth';
  return u.toString();
}

/** Gathers workerd's output lines: it explains a failed start or a 500 only there. */
export function collect(stream: Readable, into: string[]) {
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => into.push(...chunk.split('\n').filter((l) => l !== '')));
}
