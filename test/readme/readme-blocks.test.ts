/**
 * Every shell block of the README runs as written, in order, in one bash session (so a variable
 * one block sets is there for the next), against a service started the way the README says:
 * `npm start`, in a fresh directory holding the repository's files (symlinked) and its own
 * `.data`, on a free port, so it never touches the developer's database or files.
 *
 * The first block (`npm install && npm start` / `npm install && npm test`) is the one handled
 * specially: the test does what it says by running `npm start` itself; it installs nothing
 * (node_modules is there) and does not run `npm test`, which is the suite holding this test.
 *
 * The session is strict: `set -Eeuo pipefail`, and `curl` fails on an HTTP error status
 * (`--fail-with-body`), so a command that gets a 4xx or 5xx fails its block, which the test names
 * by its README line. Blocks marked skip (see readme-blocks.ts) are listed with their reasons.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readmeBlocks, type ReadmeBlock } from './readme-blocks.ts';

const REPO = join(import.meta.dirname, '../..');
const FIRST_BLOCK = ['npm install && npm start', 'npm install && npm test'];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Tokens and private key members a block may print: never copied into a failure message. */
function redact(text: string): string {
  return text
    .replace(/lp_[A-Za-z0-9_-]{20,}/g, 'lp_[redacted]')
    .replace(/"d"\s*:\s*"[^"]*"/g, '"d":"[redacted]"')
    .replace(/(KEY_ENCRYPTION_KEY=)\S+/g, '$1[redacted]');
}

/** The repository as a newcomer's checkout sees it: tracked top-level entries and node_modules, no .data, no leftovers. */
async function checkoutCopy(dir: string): Promise<void> {
  const tracked = spawnSync('git', ['ls-files'], { cwd: REPO, encoding: 'utf8' });
  if (tracked.status !== 0) throw new Error('git ls-files failed: the README test needs the repository checkout');
  const top = new Set(
    tracked.stdout
      .split('\n')
      .filter(Boolean)
      .map((f) => f.split('/')[0]!),
  );
  top.add('node_modules');
  // `npm start` builds into the repository's dist/ (scripts/build.mjs finds the repository through
  // its own real path) and serves from ./dist, so the copy reaches it through a link too.
  top.add('dist');
  for (const name of top) await symlink(join(REPO, name), join(dir, name));
}

/** The environment of a newcomer's shell: none of the service's settings, none of Cloudflare's credentials. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const keep = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TMPDIR', 'SHELL', 'TERM'];
  const env: Record<string, string> = {};
  for (const k of keep) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return {
    ...env,
    // wrangler reaches for the network only to report, to check for updates and to fetch Cloudflare's data: none of it here.
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_SEND_ERROR_REPORTS: 'false',
    WRANGLER_HIDE_BANNER: 'true',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    NO_COLOR: '1',
    ...extra,
  };
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    // Its own process group (detached): npm, its shell and node, or bash and what a block left running, go together.
    process.kill(-child.pid!, 'SIGTERM');
  });
}

/** A database of its own on TEST_POSTGRES_URL for the Workers block, its URL with a password: wrangler refuses one without. */
async function workersDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `lp_readme_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  // With trust authentication any password is accepted; one set on the server's URL is kept.
  if (url.password === '') url.password = 'local';
  return {
    url: url.href,
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

describe('the README', () => {
  let dir: string;
  let port: number;
  let server: ChildProcess | undefined;
  let serverLog = '';
  let blocks: ReadmeBlock[];
  let workersDb: { url: string; drop(): Promise<void> } | undefined;

  beforeAll(async () => {
    // The README says it needs these; a machine without them fails here, by name, not in the middle of a block.
    for (const tool of ['bash', 'curl', 'jq']) {
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
        throw new Error(`the README's commands need ${tool}, which is not installed`);
    }
    blocks = readmeBlocks(await readFile(join(REPO, 'README.md'), 'utf8'));
    dir = await mkdtemp(join(tmpdir(), 'launchproof-readme-'));
    await checkoutCopy(dir);
    port = await freePort();
    server = spawn('npm', ['start'], { cwd: dir, env: cleanEnv({ PORT: String(port) }), detached: true });
    server.stdout!.on('data', (d: Buffer) => (serverLog += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (serverLog += d.toString()));
    // Waits for the service, not for a time: it is up when /healthz answers, or it has exited.
    for (;;) {
      if (server.exitCode !== null) throw new Error(`npm start exited ${server.exitCode}:\n${redact(serverLog)}`);
      const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  afterAll(async () => {
    await stop(server);
    await workersDb?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has the start and test commands first, which the test runs as npm start and does not recurse into', () => {
    const first = blocks[0]!;
    expect(first.text.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim())).toEqual(FIRST_BLOCK);
    console.log(
      `README line ${first.line}: run as \`npm start\` by the test (node_modules present: nothing installed; \`npm test\` is this suite: not run)`,
    );
  });

  it('runs every shell block as written, in order, in one shell', async () => {
    const state = join(dir, '.readme-test-block');
    const pgUrl = process.env.TEST_POSTGRES_URL;
    const skipped: string[] = [];
    const script = [
      'set -Eeuo pipefail',
      'shopt -s inherit_errexit',
      // An HTTP error status fails the command (and shows the problem document); no request waits forever.
      'curl() { command curl --fail-with-body --max-time 60 "$@"; }',
    ];
    for (const block of blocks.slice(1)) {
      if (block.skip) {
        skipped.push(`README line ${block.line}: skipped (${block.skip})`);
        continue;
      }
      if (block.needs && !process.env[block.needs.variable]) {
        skipped.push(`README line ${block.line}: skipped, ${block.needs.variable} is not set (${block.needs.reason})`);
        continue;
      }
      script.push(`echo ${block.line} > '${state}'`, `echo '### README line ${block.line}'`, block.text);
    }
    script.push(`echo done > '${state}'`);
    for (const line of skipped) console.log(line);

    const extra: Record<string, string> = { PORT: String(port) };
    if (pgUrl && blocks.some((b) => b.needs?.variable === 'TEST_POSTGRES_URL')) {
      workersDb = await workersDatabase(pgUrl);
      extra.LOCAL_DATABASE_URL = workersDb.url;
      extra.WORKER_PORT = String(await freePort());
    }
    const shell = spawn('bash', ['-c', script.join('\n')], { cwd: dir, env: cleanEnv(extra), detached: true });
    let output = '';
    shell.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    shell.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => shell.once('exit', (c) => resolve(c)));
    // Whatever a block left running (wrangler dev, say) goes with the session.
    try {
      process.kill(-shell.pid!, 'SIGTERM');
    } catch {
      // The group is already gone.
    }
    // What the blocks printed, for whoever changes the README: README_TEST_VERBOSE=1 npx vitest run test/readme
    if (process.env.README_TEST_VERBOSE) console.log(redact(output));
    const reached = (await readFile(state, 'utf8').catch(() => '')).trim();
    if (code !== 0 || reached !== 'done') {
      const tail = redact(output).split('\n').slice(-60).join('\n');
      throw new Error(`the README's shell block at line ${reached || '?'} failed (bash exit ${code}); the session's last lines:\n${tail}`);
    }
  }, 600_000);
});
