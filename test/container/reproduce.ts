import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, mkdirSync, readFileSync, realpathSync, statSync, symlinkSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, posix } from 'node:path';
import { allOf, execForm, lastOf, parseCopy, parseEnv, splitFlags, type Stage } from './dockerfile.ts';

export const REPO = join(import.meta.dirname, '..', '..');

/** Who runs the image's process on this machine: the image's `node` user is not here, so root drops to nobody. */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
  /** Prefix that runs a command as this user (empty when the test is not root). */
  readonly prefix: string[];
}

export function unprivileged(): RunAs {
  const uid = process.getuid?.() ?? 0;
  if (uid !== 0) return { uid, gid: process.getgid?.() ?? uid, prefix: [] };
  return { uid: 65534, gid: 65534, prefix: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] };
}

export interface FinalStage {
  /** The directory standing in for the image's `/`. */
  readonly root: string;
  /** WORKDIR, as a path under `root`. */
  readonly workdir: string;
  /** ENV, with absolute paths that exist under `root` mapped there. */
  readonly env: Record<string, string>;
  readonly user: string | undefined;
  readonly cmd: string[];
  readonly healthcheck: string[];
}

/**
 * The build context as `docker build .` sees it: files git tracks or would track, minus
 * .dockerignore. The ignore file is read with the subset of its syntax we use (a name, a
 * directory, or `*` globs without slashes), and an unknown form fails rather than being skipped.
 */
export function buildContext(into: string): void {
  const patterns = readFileSync(join(REPO, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const matchers = patterns.map((p) => {
    if (p.startsWith('!') || p.includes('**') || (p.includes('*') && p.includes('/')))
      throw new Error(`.dockerignore: ${p} is not understood here`);
    const re = new RegExp(`^${p.replace(/\./g, '\\.').replace(/\*/g, '[^/]*')}(/|$)`);
    return (path: string) => re.test(path) || (!p.includes('/') && re.test(basename(path)));
  });
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, encoding: 'utf8' });
  if (listed.status !== 0) throw new Error(`git ls-files: ${listed.stderr}`);
  for (const path of listed.stdout.split('\0').filter(Boolean)) {
    if (matchers.some((m) => m(path))) continue;
    const source = join(REPO, path);
    if (!statSync(source, { throwIfNoEntry: false })?.isFile()) continue; // deleted in the work tree
    mkdirSync(dirname(join(into, path)), { recursive: true });
    cpSync(source, join(into, path));
  }
}

/**
 * Runs the Dockerfile's stages on this machine, each in a directory standing for its `/`.
 * Only instructions this function knows are accepted; a new kind of RUN makes it throw, so the
 * Dockerfile cannot change without this reproduction (and its test) changing with it.
 *
 * One deliberate substitution: the build stage's full `npm ci` (every dev dependency, hundreds
 * of packages) becomes a link to this checkout's node_modules, installed from the same lockfile.
 * The production install, the one the image ships, runs for real.
 */
export function reproduce(stages: readonly Stage[], context: string, workspace: string, runAs: RunAs): FinalStage {
  const roots = new Map<string, string>();
  let final: FinalStage | undefined;
  for (const stage of stages) {
    const root = join(workspace, stage.name);
    mkdirSync(root, { recursive: true, mode: 0o755 });
    roots.set(stage.name, root);
    const under = (p: string) => join(root, p);
    let workdir = '/';
    const env: Record<string, string> = {};
    for (const { keyword, args, line } of stage.instructions) {
      const where = `Dockerfile line ${line} (${keyword} ${args})`;
      switch (keyword) {
        case 'WORKDIR':
          workdir = posix.resolve(workdir, args);
          mkdirSync(under(workdir), { recursive: true, mode: 0o755 });
          break;
        case 'COPY': {
          const { from, sources, dest } = parseCopy(args);
          const sourceRoot = from === undefined ? context : roots.get(from);
          if (sourceRoot === undefined) throw new Error(`${where}: no earlier stage ${from}`);
          const target = under(posix.resolve(workdir, dest));
          const intoDirectory = sources.length > 1 || dest.endsWith('/');
          for (const source of sources) {
            const path = from === undefined ? join(context, source) : join(sourceRoot, source);
            if (!isAbsolute(source) && from !== undefined) throw new Error(`${where}: --from sources are absolute here`);
            const isDir = statSync(path).isDirectory();
            const to = intoDirectory && !isDir ? join(target, basename(source)) : target;
            mkdirSync(dirname(to), { recursive: true, mode: 0o755 });
            cpSync(path, to, { recursive: true, verbatimSymlinks: true });
          }
          break;
        }
        case 'RUN':
          run(args, under(workdir), root, runAs, where);
          break;
        case 'ENV':
          Object.assign(env, parseEnv(args));
          break;
        case 'USER':
        case 'EXPOSE':
        case 'VOLUME':
        case 'STOPSIGNAL':
        case 'HEALTHCHECK':
        case 'CMD':
          break;
        default:
          throw new Error(`${where}: not reproduced by test/container/reproduce.ts; teach it first`);
      }
    }
    const health = lastOf(stage, 'HEALTHCHECK');
    const healthArgs = health ? splitFlags(health.args).rest : '';
    final = {
      root,
      workdir: under(workdir),
      env: Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, v.startsWith('/') && statSync(under(v), { throwIfNoEntry: false }) ? under(v) : v]),
      ),
      user: lastOf(stage, 'USER')?.args,
      cmd: execForm(lastOf(stage, 'CMD')?.args ?? '[]'),
      healthcheck: healthArgs.startsWith('CMD ') ? execForm(healthArgs.slice(4)) : [],
    };
  }
  if (!final) throw new Error('the Dockerfile has no stage');
  return final;
}

function run(command: string, cwd: string, root: string, runAs: RunAs, where: string): void {
  if (/^npm ci\b/.test(command) && !command.includes('--omit=dev')) {
    symlinkSync(realpathSync(join(REPO, 'node_modules')), join(cwd, 'node_modules'));
    return;
  }
  const owned = /^mkdir -p (\/\S+) && chown node:node \1$/.exec(command);
  if (owned) {
    const dir = join(root, owned[1]!);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o755);
    if (process.getuid?.() === 0) chownSync(dir, runAs.uid, runAs.gid);
    return;
  }
  if (!/^npm (ci|run) /.test(command)) throw new Error(`${where}: not reproduced by test/container/reproduce.ts; teach it first`);
  const result = spawnSync('sh', ['-c', command], { cwd, encoding: 'utf8', env: { ...process.env, NODE_ENV: '' } });
  if (result.status !== 0) throw new Error(`${where} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
}

/** The stages whose node_modules reach the final image, and the npm commands that filled them. */
export function installsReachingFinal(stages: readonly Stage[]): { stage: string; command: string }[] {
  const final = stages.at(-1)!;
  const fromStages = allOf(final, 'COPY')
    .map((c) => parseCopy(c.args))
    .filter((c) => c.from !== undefined && c.sources.some((s) => s.endsWith('node_modules')))
    .map((c) => c.from!);
  return stages
    .filter((s) => fromStages.includes(s.name) || s === final)
    .flatMap((s) => allOf(s, 'RUN').map((r) => ({ stage: s.name, command: r.args })))
    .filter((r) => /\bnpm (ci|install|i)\b/.test(r.command));
}
