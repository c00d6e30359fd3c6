import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { skipBecause } from '../support/skip.ts';
import { REPO } from './reproduce.ts';

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  ports?: string[];
}
const compose = parse(readFileSync(join(REPO, 'compose.yaml'), 'utf8')) as { services: Record<string, ComposeService> };

describe('compose.yaml, read', () => {
  const { db, launchproof } = compose.services;

  it('runs PostgreSQL 15 with a health check, and starts the service only once it is healthy', () => {
    expect(db?.image).toMatch(/^postgres:15(\b|-)/);
    expect(db?.healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(launchproof?.build).toBeDefined();
    expect(launchproof?.depends_on).toEqual({ db: { condition: 'service_healthy' } });
  });

  it('takes every secret from the environment or .env, never from the file itself', () => {
    const env = launchproof!.environment!;
    // `${VAR:?message}`: compose refuses to start when the variable is missing, instead of running keyless.
    expect(env.KEY_ENCRYPTION_KEY).toMatch(/^\$\{KEY_ENCRYPTION_KEY:\?/);
    expect(env.PUBLIC_URL).toMatch(/^\$\{PUBLIC_URL:\?/);
    expect(db!.environment!.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?/);
    expect(db!.environment!.LAUNCHPROOF_DB_PASSWORD).toMatch(/^\$\{LAUNCHPROOF_DB_PASSWORD:\?/);
    // The service's own role, not the image's superuser: production refuses a superuser.
    expect(env.DATABASE_URL).toBe('postgres://launchproof:${LAUNCHPROOF_DB_PASSWORD}@db:5432/launchproof');
    expect(db!.environment!.POSTGRES_USER).not.toBe('launchproof');
    // .env holds them, so git and the image must both leave it out.
    expect(spawnSync('git', ['check-ignore', '-q', '.env'], { cwd: REPO }).status).toBe(0);
  });

  it('publishes the service on loopback only: TLS belongs to the proxy in front', () => {
    expect(launchproof!.ports).toEqual(['127.0.0.1:${LAUNCHPROOF_PORT:-8080}:8080']);
    // Published on loopback only, so a proxy is in front: its X-Forwarded-For entry names the client.
    expect(launchproof!.environment!.TRUST_PROXY).toBe('${TRUST_PROXY:-1}');
  });
});

describe('ops/compose-up.sh, with a stand-in for docker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'launchproof-compose-up-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes .env once, owner-readable, with a usable key-encryption key and password, then runs compose up --build', () => {
    mkdirSync(join(dir, 'ops'));
    copyFileSync(join(REPO, 'ops/compose-up.sh'), join(dir, 'ops/compose-up.sh'));
    mkdirSync(join(dir, 'bin'));
    // The stand-in records its arguments instead of talking to an engine.
    writeFileSync(join(dir, 'bin/docker'), `#!/bin/sh\necho "$@" >> "${join(dir, 'docker-calls')}"\n`, { mode: 0o755 });
    const run = (env: Record<string, string> = { PUBLIC_URL: 'https://issuer.example.test' }) =>
      spawnSync('sh', [join(dir, 'ops/compose-up.sh'), '-d'], {
        env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, ...env },
        encoding: 'utf8',
      });
    // The origin is recorded for good at the first start: it is asked for, never guessed.
    const unnamed = run({});
    expect(unnamed.status).not.toBe(0);
    expect(unnamed.stderr).toContain('set PUBLIC_URL to the https origin your proxy serves');
    expect(() => statSync(join(dir, '.env'))).toThrow();
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    const written = readFileSync(join(dir, '.env'), 'utf8');
    expect(statSync(join(dir, '.env')).mode & 0o777).toBe(0o600);
    expect(written).toMatch(/^PUBLIC_URL=https:\/\/issuer\.example\.test$/m);
    expect(written).toMatch(/^KEY_ENCRYPTION_KEY=[A-Za-z0-9_-]{43}$/m);
    expect(written).toMatch(/^POSTGRES_PASSWORD=[A-Za-z0-9_-]{32}$/m);
    expect(written).toMatch(/^LAUNCHPROOF_DB_PASSWORD=[A-Za-z0-9_-]{32}$/m);
    // The secrets go to the file, never to the terminal.
    expect(first.stdout + first.stderr).not.toContain(/^KEY_ENCRYPTION_KEY=(.*)$/m.exec(written)![1]);

    // Later runs reuse .env, and need no PUBLIC_URL of their own.
    expect(run({}).status).toBe(0);
    expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(written);
    expect(readFileSync(join(dir, 'docker-calls'), 'utf8')).toBe('compose up --build -d\ncompose up --build -d\n');
  });
});

const dockerInfo = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8' });
const composeVersion = dockerInfo.status === 0 ? spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }) : undefined;
const firstLine = (r: { stderr?: string; error?: Error }) => (r.stderr || r.error?.message || '').trim().split('\n')[0];
const noEngine =
  dockerInfo.status !== 0
    ? `Docker engine not running (docker info: ${firstLine(dockerInfo)})`
    : composeVersion?.status !== 0
      ? `Docker engine running, but no compose plugin (docker compose version: ${firstLine(composeVersion!)})`
      : undefined;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function docker(args: string[], env: Record<string, string>): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, output }));
  });
}

/** The real thing, where an engine runs: build the image, start PostgreSQL 15 and the service, ask /healthz. */
describe.skipIf(skipBecause(noEngine !== undefined, noEngine ?? ''))('docker compose up --build', { timeout: 1_200_000 }, () => {
  const project = `launchproof-test-${crypto.randomUUID().slice(0, 8)}`;
  let env: Record<string, string> = {};
  afterAll(async () => {
    await docker(['compose', '-p', project, 'down', '--volumes', '--rmi', 'local'], env);
  });

  it('builds the image, waits for PostgreSQL to be healthy, and serves /healthz as a non-root user', async () => {
    env = {
      KEY_ENCRYPTION_KEY: generateKeyEncryptionKey(),
      POSTGRES_PASSWORD: generateKeyEncryptionKey(),
      LAUNCHPROOF_DB_PASSWORD: generateKeyEncryptionKey(),
      PUBLIC_URL: 'https://issuer.example.test',
      LAUNCHPROOF_PORT: String(await freePort()),
    };
    // --wait returns once every service with a health check is healthy: the image's HEALTHCHECK for ours.
    const up = await docker(['compose', '-p', project, 'up', '--build', '--detach', '--wait'], env);
    expect(up.status, up.output).toBe(0);
    const health = await fetch(`http://127.0.0.1:${env.LAUNCHPROOF_PORT}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const uid = await docker(['compose', '-p', project, 'exec', '-T', 'launchproof', 'id', '-u'], env);
    expect(uid.output.trim()).not.toBe('0');
    const logs = await docker(['compose', '-p', project, 'logs', 'launchproof'], env);
    expect(logs.output).toContain('database: postgres');
  });
});
