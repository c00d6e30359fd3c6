/**
 * What the transparency log costs issuance (issue 13: "issuance with the log within 10% of
 * without"). "Without" is launchproof as it was just before the log (BENCH_LOG_BASELINE_REV, by
 * default the last commit before it), checked out into a scratch worktree, built and served by
 * its own code; "with" is this checkout. Both run as `npm start` runs them, on the same engine,
 * side by side, warmed by the same issuances, and are measured in rounds of one slice each, the
 * order flipped every round, so that the machine's load falls on both alike: the ratio is what to
 * read (the median of the rounds' ratios).
 *
 *   node --import tsx bench/log-cost.bench.ts
 *   BENCH_POSTGRES_URL=postgres://user@127.0.0.1:5432/db   adds the PostgreSQL lines
 */
import { execFileSync } from 'node:child_process';
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readinessAssessment } from '../test/http/helpers.ts';
import { cleanUp, scratchDir } from './children.ts';
import { startLaunchproof, type LaunchproofUnderTest } from './launchproof-process.ts';
import { runLoad, type LoadRequest } from './load.ts';
import { createScratchDatabase, type ScratchDatabase } from './scratch-database.ts';

const BASELINE_REV = process.env.BENCH_LOG_BASELINE_REV ?? 'd2c88af';
const POSTGRES = process.env.BENCH_POSTGRES_URL || undefined;
const ROUNDS = 8;
const SLICE = { concurrency: 32, durationMs: 2_000, warmupMs: 300 };
const WARM = 1_000;
const root = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();
const progress = (text: string) => process.stderr.write(`log-cost [${((performance.now() - started) / 1000).toFixed(0)} s]: ${text}\n`);

/** The baseline checkout, built: its CLI and the entry `npm start` would serve. */
async function baselineCheckout(): Promise<{ bin: string; entry: string; dir: string }> {
  const dir = join(await scratchDir('lp-bench-baseline'), 'checkout');
  execFileSync('git', ['-C', root, 'worktree', 'add', '--detach', dir, BASELINE_REV], { stdio: 'ignore' });
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, [join(dir, 'scripts/build.mjs')], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  return { bin: join(dir, 'bin/launchproof.mjs'), entry: join(dir, 'dist/launchproof.js'), dir };
}

const body = (formats: string[]) => Buffer.from(JSON.stringify({ assessment: readinessAssessment(), formats }));
const issue = (lp: LaunchproofUnderTest, formats: string[]): LoadRequest => ({
  method: 'POST',
  path: `/v1/t/${lp.tenant}/attestations`,
  headers: { authorization: `Bearer ${lp.token}`, 'content-type': 'application/json' },
  body: body(formats),
  expect: 201,
});

/**
 * Issuances per second of each, over rounds of one slice each, the order flipped every round
 * (ABBA...) so that a drift of the machine's load falls on both alike; the ratio is the median of
 * the rounds' ratios, which one noisy slice does not move.
 */
async function alternate(withLog: LaunchproofUnderTest, withoutLog: LaunchproofUnderTest, formats: string[]) {
  const rounds: { with: number; without: number }[] = [];
  const errors: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ([withLog, withoutLog] as const) : ([withoutLog, withLog] as const);
    const rates = new Map<LaunchproofUnderTest, number>();
    for (const lp of order) {
      const r = await runLoad(lp.port, issue(lp, formats), SLICE);
      rates.set(lp, r.perSecond);
      if (r.errors > 0) errors.push(`${r.errors} errors (${r.firstError})`);
    }
    rounds.push({ with: rates.get(withLog)!, without: rates.get(withoutLog)! });
  }
  const ratios = rounds.map((r) => r.with / r.without).sort((a, b) => a - b);
  const mean = (k: 'with' | 'without') => rounds.reduce((n, r) => n + r[k], 0) / rounds.length;
  return { with: mean('with'), without: mean('without'), ratio: ratios[Math.floor(ratios.length / 2)]!, errors };
}

const lines: string[] = [];
let scratch: ScratchDatabase[] = [];
let baseline: Awaited<ReturnType<typeof baselineCheckout>> | undefined;
try {
  progress(`building the baseline ${BASELINE_REV}`);
  baseline = await baselineCheckout();
  for (const engine of POSTGRES ? (['pglite', 'postgres'] as const) : (['pglite'] as const)) {
    let urls: (string | undefined)[] = [undefined, undefined];
    if (engine === 'postgres') {
      scratch = [await createScratchDatabase(POSTGRES!), await createScratchDatabase(POSTGRES!)];
      urls = scratch.map((s) => s.url);
    }
    progress(`${engine}: starting both`);
    const withLog = await startLaunchproof(urls[0]);
    const withoutLog = await startLaunchproof(urls[1], { bin: baseline.bin, entry: baseline.entry });
    progress(`${engine}: ${WARM} issuances into each`);
    for (const lp of [withLog, withoutLog]) await runLoad(lp.port, issue(lp, ['vc+jwt']), { concurrency: 32, total: WARM });
    for (const s of scratch) await s.analyse();
    for (const formats of [['vc+jwt'], ['dc+sd-jwt'], ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt']]) {
      progress(`${engine}: ${formats.join(' + ')}`);
      const r = await alternate(withLog, withoutLog, formats);
      lines.push(
        `| POST attestations ${formats.join(' + ')}, c32, ${engine} | ${r.with.toFixed(0)}/s | ${r.without.toFixed(0)}/s | ${r.ratio.toFixed(2)}× |${r.errors.length ? ` ${r.errors.join('; ')}` : ''}`,
      );
    }
    await Promise.all([withLog.child.stop(), withoutLog.child.stop()]);
    for (const s of scratch) await s.drop();
    scratch = [];
  }
  console.log(
    `Issuance with the transparency log vs without it (launchproof at ${BASELINE_REV}): ${ROUNDS} rounds of one ${SLICE.durationMs / 1000} s slice each, order flipped each round`,
  );
  console.log('| line | with the log (mean) | without (mean) | ratio (median of rounds) |');
  console.log('| --- | --- | --- | --- |');
  for (const l of lines) console.log(l);
} finally {
  await cleanUp();
  for (const s of scratch) await s.drop().catch(() => {});
  if (baseline) execFileSync('git', ['-C', root, 'worktree', 'remove', '--force', baseline.dir], { stdio: 'ignore' });
}
