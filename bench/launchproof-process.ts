/**
 * launchproof as an operator runs it, for the side-by-side benchmark: `init`, `tenant create`
 * and `api-key create` through its CLI, then `serve` as `npm start` runs it (the build, then
 * `node dist/launchproof.js serve`) as a child on 127.0.0.1, on PGlite in a scratch data
 * directory or on the PostgreSQL database given. The environment is the tests'
 * (test/support/service-process.ts) with rate limits out of the way.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { baseEnv, freePort, runCli } from '../test/support/service-process.ts';
import { redact, scratchDir, startChild, type Child } from './children.ts';
import { UNLIMITED_RATES } from './measure.ts';

export interface LaunchproofUnderTest {
  readonly child: Child;
  readonly port: number;
  readonly tenant: string;
  /** A tenant API key holding every role (admin alone may not issue), made by `api-key create`; never printed. */
  readonly token: string;
  readonly engine: 'pglite' | 'postgres';
}

function cli(args: string[], env: Record<string, string>, bin?: string): string {
  const r = bin
    ? spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 })
    : runCli(args, env);
  if (r.status !== 0) throw new Error(`launchproof ${args.join(' ')} exited ${r.status}: ${redact(r.stderr)}`);
  return r.stdout;
}

export interface StartOptions {
  /** Further settings for `serve` alone (the memory bench's METRICS_TOKEN), never for the set-up commands. */
  readonly serveEnv?: Record<string, string>;
  /** The script `serve` runs from: what `npm start` runs (DIST_ENTRY, built once per bench run) unless given, e.g. BIN (TypeScript through tsx). */
  readonly entry?: string;
  /** Flags for `node` itself before the entry, e.g. `--cpu-prof` to see where a line's time goes. */
  readonly nodeArgs?: readonly string[];
  /**
   * Another checkout's `bin/launchproof.mjs` for the set-up commands (with `entry` its built
   * dist/launchproof.js): an older version of launchproof, set up and served by its own code.
   */
  readonly bin?: string;
}

/**
 * The flags `npm start`, `npm run start:dist` and the image's CMD give node for `serve` (one V8
 * worker thread: each keeps a malloc arena of its own; see docs/benchmarks.md, RSS after start).
 */
export const SERVE_NODE_FLAGS: readonly string[] = ['--v8-pool-size=1'];

/** The entry `npm start` runs once `npm run build` has written it (package.json). */
export const DIST_ENTRY = fileURLToPath(new URL('../dist/launchproof.js', import.meta.url));
let built = false;

/** Builds dist/ from the sources of this checkout, once per bench run, as `npm start` does before it serves. */
export function buildOnce(): void {
  if (built) return;
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build.mjs', import.meta.url))], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  built = true;
}

export async function startLaunchproof(databaseUrl?: string, options: StartOptions = {}): Promise<LaunchproofUnderTest> {
  const dataDir = await scratchDir('lp-bench-data');
  const port = await freePort();
  // NODE_ENV as the tests' children inherit it from vitest; LAUNCHPROOF_ENV from baseEnv (development).
  const env = { ...baseEnv(dataDir, port), ...UNLIMITED_RATES, NODE_ENV: 'test', DATABASE_URL: databaseUrl ?? '' };
  const tenant = 'acme';
  cli(['init'], env, options.bin);
  cli(['tenant', 'create', tenant, '--name', 'Acme Bench'], env, options.bin);
  const { token } = JSON.parse(
    cli(['api-key', 'create', '--tenant', tenant, '--roles', 'admin,issuer,status,keys,auditor', '--label', 'bench'], env, options.bin),
  ) as { token: string };
  if (!options.entry) buildOnce();
  const child = await startChild(
    [...SERVE_NODE_FLAGS, ...(options.nodeArgs ?? []), options.entry ?? DIST_ENTRY, 'serve'],
    { ...env, ...options.serveEnv },
    /launchproof serving/,
  );
  return { child, port, tenant, token, engine: databaseUrl ? 'postgres' : 'pglite' };
}
