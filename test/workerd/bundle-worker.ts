import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Database } from '../../src/store/port.ts';
import { TENANT_ROLE } from '../../src/store/tenant-scope.ts';

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

/**
 * The Worker's connection as production demands it: an ordinary login role (a superuser is
 * refused) with rows of every table and membership of the tenant role its tenant transactions
 * switch to. Returns the role (dropped by the caller) and the URL the Worker's Hyperdrive uses.
 */
export async function workerConnection(db: Database, databaseUrl: string): Promise<{ role: string; url: string }> {
  const role = `lp_worker_${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await db.exec(`create role ${role} login;
    grant ${TENANT_ROLE} to ${role};
    grant select, insert, update, delete on all tables in schema public to ${role};
    grant usage, select on all sequences in schema public to ${role};`);
  const url = new URL(databaseUrl);
  url.username = role;
  return { role, url: hyperdriveUrl(url.toString()) };
}
