import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { allOf, execForm, lastOf, parseCopy, readDockerfile, splitFlags } from './dockerfile.ts';
import { buildContext, installsReachingFinal, REPO, reproduce, unprivileged, type FinalStage } from './reproduce.ts';

const stages = readDockerfile(join(REPO, 'Dockerfile'));
const final = stages.at(-1)!;

/** Packages only the build and the tests need: none may be in the image. */
const DEV_ONLY = ['esbuild', '@esbuild', 'tsx', 'typescript', 'vitest', 'wrangler', 'eslint', 'prettier', 'playwright-core', 'secretlint'];

describe('the Dockerfile, read', () => {
  it('builds in stages and runs the last one as an unprivileged user', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    const user = lastOf(final, 'USER')?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    // USER comes before the command, so nothing the image starts runs as root.
    expect(final.instructions.findIndex((i) => i.keyword === 'USER')).toBeLessThan(
      final.instructions.findIndex((i) => i.keyword === 'CMD'),
    );
  });

  it('installs the production dependencies alone into the image, with no install scripts', () => {
    const installs = installsReachingFinal(stages);
    expect(installs.length).toBeGreaterThan(0);
    for (const { command } of installs) expect(command).toMatch(/^npm ci .*--omit=dev/);
    for (const run of stages.flatMap((s) => allOf(s, 'RUN'))) {
      if (/\bnpm (ci|install)\b/.test(run.args)) expect(run.args).toContain('--ignore-scripts');
    }
    // From the build stage the image takes dist/ only: never its dev-dependency node_modules.
    const fromBuild = allOf(final, 'COPY')
      .map((c) => parseCopy(c.args))
      .filter((c) => c.from === 'build');
    expect(fromBuild.flatMap((c) => c.sources)).toEqual(['/src/dist']);
  });

  it('starts built JavaScript with plain node, not a TypeScript loader', () => {
    const cmd = execForm(lastOf(final, 'CMD')!.args);
    expect(cmd[0]).toBe('node');
    expect(cmd.at(-2)).toBe('dist/launchproof.js');
    expect(cmd.join(' ')).not.toMatch(/tsx|\.ts\b/);
  });

  it('serves as npm start serves once it has built (one V8 worker thread: the memory an idle service holds)', () => {
    const cmd = execForm(lastOf(final, 'CMD')!.args);
    const scripts = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(cmd).toContain('--v8-pool-size=1');
    // The image adds --enable-source-maps for its logs' stack traces.
    const serving = cmd.filter((a) => a !== '--enable-source-maps').join(' ');
    expect(scripts.start).toBe(`node scripts/build.mjs && ${serving}`);
    expect(scripts['start:dist']).toBe(serving);
  });

  it('checks liveness on /healthz with node itself, since a slim image has no curl', () => {
    const health = lastOf(final, 'HEALTHCHECK')!;
    expect(health).toBeDefined();
    const { flags, rest } = splitFlags(health.args);
    expect(Object.keys(flags)).toEqual(expect.arrayContaining(['interval', 'timeout', 'start-period', 'retries']));
    expect(rest).toMatch(/^CMD \[/);
    const cmd = execForm(rest.slice(4));
    expect(cmd[0]).toBe('node');
    expect(cmd.join(' ')).toContain('/healthz');
    expect(cmd.join(' ')).not.toMatch(/curl|wget/);
  });

  it('runs in production mode, listening on every interface of the container', () => {
    const env = allOf(final, 'ENV')
      .map((e) => e.args)
      .join(' ');
    expect(env).toMatch(/\bLAUNCHPROOF_ENV=production\b/);
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    expect(env).toMatch(/\bBIND_ADDRESS=0\.0\.0\.0\b/);
    expect(env).not.toMatch(/KEY_ENCRYPTION_KEY|DATABASE_URL|PASSWORD/);
  });

  it('keeps secrets, local state and dependencies out of the build context', () => {
    const ignored = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.git', 'node_modules', '.data', 'dist', '.env', '.env.*']) expect(ignored).toContain(entry);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Runs a command of the image (exec form) as the image's user would, in its working directory. */
function imageCommand(image: FinalStage, argv: string[], env: Record<string, string>, prefix: string[]) {
  // The image's `node` is this machine's: the same major version, and the one the suite runs on.
  const [program, ...args] = argv[0] === 'node' ? [process.execPath, ...argv.slice(1)] : argv;
  const [file, ...rest] = [...prefix, program!, ...args];
  return { file: file!, args: rest, options: { cwd: image.workdir, env } };
}

/**
 * The image's last two stages rebuilt on this machine (no Docker engine here): the context as
 * .dockerignore leaves it, the build, a real `npm ci --omit=dev`, the runtime stage's files and
 * nothing else, then the image's CMD started as an unprivileged user and its HEALTHCHECK run.
 * Needs the npm registry (or a warm npm cache) for the production install, like `docker build`.
 */
describe('the image, reproduced outside Docker', { timeout: 600_000 }, () => {
  const runAs = unprivileged();
  let workspace: string;
  let image: FinalStage;
  let env: Record<string, string>;
  let server: ChildProcess | undefined;
  const stdout: string[] = [];
  const stderr: string[] = [];

  beforeAll(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'launchproof-image-'));
    // mkdtemp makes the directory owner-only; the unprivileged user must reach the files below.
    chmodSync(workspace, 0o755);
    buildContext(join(workspace, 'context'));
    image = reproduce(stages, join(workspace, 'context'), join(workspace, 'stages'), runAs);
    const port = await freePort();
    env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...image.env,
      // On this machine, not in a container: loopback and a free port instead of 0.0.0.0:8080.
      BIND_ADDRESS: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: 'https://issuer.example.test',
      KEY_ENCRYPTION_KEY: generateKeyEncryptionKey(),
    };
  }, 600_000);

  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('holds the built code, its production dependencies and the migrations, and nothing else', () => {
    expect(readdirSync(image.workdir).sort()).toEqual(['dist', 'migrations', 'node_modules', 'package.json']);
    const modules = readdirSync(join(image.workdir, 'node_modules'));
    expect(modules).toEqual(expect.arrayContaining(['hono', 'postgres', '@electric-sql', 'jose']));
    for (const dev of DEV_ONLY) expect(modules, `${dev} is a dev dependency`).not.toContain(dev);
    expect(readdirSync(join(image.workdir, 'dist'))).toEqual(expect.arrayContaining(['launchproof.js', 'cli.js', 'postgres-guard.js']));
    expect(readdirSync(join(image.workdir, 'migrations')).filter((f) => f.endsWith('.sql')).length).toBeGreaterThan(0);
  });

  it('starts its command as a user other than root, serves, and passes its own health check', async () => {
    const start = imageCommand(image, image.cmd, env, runAs.prefix);
    const child = spawn(start.file, start.args, { ...start.options, stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        stdout.push(d.toString());
        if (stdout.join('').includes('launchproof serving')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr.join('')}`)));
    });
    expect(stdout.join('')).toContain('launchproof serving https://issuer.example.test');

    // The process setpriv became: not root. The data it wrote belongs to that user.
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    expect(uid).toBe(runAs.uid);
    if (process.getuid?.() === 0) expect(uid).not.toBe(0);
    expect(statSync(join(env.DATA_DIR!, 'pglite')).uid).toBe(runAs.uid);

    const health = imageCommand(image, image.healthcheck, env, runAs.prefix);
    const checked = spawnSync(health.file, health.args, { ...health.options, encoding: 'utf8' });
    expect(checked.status, checked.stderr).toBe(0);

    const healthz = await fetch(`http://127.0.0.1:${env.PORT}/healthz`);
    expect(healthz.status).toBe(200);
    expect(await healthz.json()).toEqual({ status: 'ok' });
    // The browser verifier was built into dist/cli.js: served without esbuild in the image.
    const script = await fetch(`http://127.0.0.1:${env.PORT}/assets/verify.js`);
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(10_000);
  });

  it('loads postgres.js through its guard, which the bundle alone would refuse to run without', () => {
    // Nothing listens on port 1: the command fails to connect either way. What matters is whether
    // it got that far, or stopped because the driver loaded without the guard (src/runtime/node/postgres-guard.ts).
    const withDatabase = { ...env, DATABASE_URL: 'postgres://launchproof@127.0.0.1:1/launchproof' };
    const run = (entry: string) => {
      const c = imageCommand(image, ['node', entry, 'migrate'], withDatabase, runAs.prefix);
      return spawnSync(c.file, c.args, { ...c.options, encoding: 'utf8' });
    };
    const unguarded = run('dist/cli.js');
    expect(unguarded.stderr).toContain('loaded without its guard');
    const guarded = run(image.cmd.at(-2)!);
    expect(guarded.status).not.toBe(0);
    expect(guarded.stderr).not.toContain('loaded without its guard');
  });

  it('stops cleanly on SIGTERM, after which the health check fails', async () => {
    expect(server, 'the previous test started the server').toBeDefined();
    const code = await new Promise<number | null>((resolve) => {
      if (server!.exitCode !== null) resolve(server!.exitCode);
      server!.once('exit', (c) => resolve(c));
      server!.kill('SIGTERM');
    });
    expect(code).toBe(0);
    const health = imageCommand(image, image.healthcheck, env, runAs.prefix);
    expect(spawnSync(health.file, health.args, health.options).status).toBe(1);
  });
});
