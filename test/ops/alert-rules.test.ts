import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { generateKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { openPglite } from '../../src/runtime/pglite/database.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { inputSeries, parseExposition, type Scrape } from './exposition.ts';
import { freePort, startService, stopAllServices, type ServiceProcess } from '../support/service-process.ts';

/*
 * The shipped alert rules and dashboard, checked against what the real service emits. The service
 * runs twice on one embedded database: first healthy (then a burst of bad API keys), then started
 * with the wrong KEK and a signing key at the end of its rotation period. Each state's traffic lies
 * between two scrapes; promtool evaluates every rule over series built from those two scrapes
 * (see inputSeries), and each alert must fire in the state it is about and stay silent otherwise.
 */

const ROOT = join(import.meta.dirname, '../..');
const RULES = join(ROOT, 'ops/prometheus/alerts.yaml');
const DASHBOARD = join(ROOT, 'ops/grafana/launchproof.json');
const PROMTOOL = '/usr/bin/promtool';
const MINUTES = 300;
const DAY_S = 86_400;

interface Rule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules = (parseYaml(await readFile(RULES, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const ALERTS = rules.map((r) => r.alert);

function promtool(args: string[]): { status: number | null; output: string } {
  const run = spawnSync(PROMTOOL, args, { encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/**
 * Runs `promtool test rules` on the rule file with series from `start`..`end`, expecting exactly
 * the alerts in `firing` to fire at the end of the modelled hours and every other one to be silent.
 */
async function evaluate(dir: string, name: string, start: Scrape, end: Scrape, firing: readonly string[]) {
  const tests = {
    rule_files: [RULES],
    evaluation_interval: '1m',
    tests: [
      {
        interval: '1m',
        input_series: inputSeries(start, end, MINUTES),
        alert_rule_test: rules.map((r) => ({
          eval_time: `${MINUTES}m`,
          alertname: r.alert,
          exp_alerts: firing.includes(r.alert) ? [{ exp_labels: r.labels ?? {}, exp_annotations: r.annotations ?? {} }] : [],
        })),
      },
    ],
  };
  // JSON is YAML: promtool reads it as it is.
  const file = join(dir, `${name}.test.json`);
  await writeFile(file, JSON.stringify(tests, null, 1));
  return promtool(['test', 'rules', file]);
}

describe('alert rules and dashboard against the metrics the service emits', () => {
  let dir: string;
  let service: ServiceProcess | undefined;
  let base: string;
  let metricsBase: string;
  const metricsToken = `mt_${crypto.randomUUID().replace(/-/g, '')}_${crypto.randomUUID().replace(/-/g, '')}`;
  const kekA = generateKeyEncryptionKey();
  const kekB = generateKeyEncryptionKey();
  const scrapes: Record<'healthy0' | 'healthy1' | 'storm' | 'broken0' | 'broken1', Scrape> = {} as never;
  const raw: string[] = [];
  let adminToken: string;
  let credentialId: string;
  const rateLimited = { count: 0 };

  const scrape = async () => {
    const res = await fetch(`${metricsBase}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    raw.push(text);
    return parseExposition(text);
  };
  const api = (method: string, path: string, token: string | undefined, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const issue = () => api('POST', '/v1/t/demo/attestations', adminToken, { assessment: readinessAssessment(), formats: ['vc+jwt'] });
  const badKey = 'lp_AAAAAAAAAAAAAAAA_' + 'A'.repeat(43);

  beforeAll(async () => {
    expect(existsSync(PROMTOOL), 'promtool (Debian package prometheus) is required').toBe(true);
    dir = await mkdtemp(join(tmpdir(), 'launchproof-alerts-'));
    const [port, metricsPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    metricsBase = `http://127.0.0.1:${metricsPort}`;
    const env = {
      DATA_DIR: dir,
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      METRICS_TOKEN: metricsToken,
      LAUNCHPROOF_ENV: 'development',
      LOG_LEVEL: 'error',
      DATABASE_URL: '',
      VERIFY_RATE_LIMIT_PER_MINUTE: '5',
    };

    // Healthy: public documents, one issuance and its verification, a couple of mistyped keys.
    service = await startService({ ...env, KEY_ENCRYPTION_KEY: kekA });
    adminToken = (await readFile(join(dir, 'bootstrap-admin-key'), 'utf8')).trim();
    scrapes.healthy0 = await scrape();
    for (const path of ['/t/demo/jwks.json', '/t/demo/did.json', '/.well-known/openid-credential-issuer/t/demo']) {
      expect((await api('GET', path, undefined)).status).toBe(200);
    }
    const issued = await issue();
    expect(issued.status, await issued.clone().text()).toBe(201);
    const credential = ((await issued.json()) as { credentials: { id: string; credential: string }[] }).credentials[0]!;
    credentialId = credential.id.replace(/^urn:uuid:/, '');
    const verified = await api('POST', '/v1/verify', undefined, { credential: credential.credential });
    expect(((await verified.json()) as { verified: boolean }).verified).toBe(true);
    for (let i = 0; i < 2; i++) expect((await api('GET', '/v1/tenants', badKey)).status).toBe(401);
    expect((await api('POST', '/v1/t/demo/keys/rotate', adminToken)).status).toBe(200);
    scrapes.healthy1 = await scrape();

    // A 401 storm: a client retrying with a key that does not exist.
    for (let round = 0; round < 50; round++) {
      const answers = await Promise.all(Array.from({ length: 8 }, () => api('GET', '/v1/tenants', badKey)));
      for (const a of answers) expect(a.status).toBe(401);
    }
    scrapes.storm = await scrape();
    expect(await service.stop()).toBe(0);
    service = undefined;

    // The demo tenant's signing key ten minutes short of its rotation period (90 days by default),
    // so the start-up sweep leaves it, and the service comes back with another KEK.
    const db = await openPglite(join(dir, 'pglite'));
    try {
      const activated = new Date(Date.now() - 90 * DAY_S * 1000 + 10 * 60 * 1000);
      await db.query(
        `update signing_keys set created_at = $1, activated_at = $1
          where tenant_id = 'demo' and activated_at is not null and retired_at is null and revoked_at is null`,
        [activated],
      );
    } finally {
      await db.close();
    }
    service = await startService({ ...env, KEY_ENCRYPTION_KEY: kekB });
    scrapes.broken0 = await scrape();
    // The revocation is stored (it needs no key); publishing it after the response cannot sign.
    const revoked = await api('PATCH', `/v1/t/demo/credentials/${credentialId}/status`, adminToken, {
      status: 'revoked',
      reason: 'alert rule test',
    });
    expect(revoked.status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await issue()).status).toBe(503);
    expect((await api('GET', '/t/demo/trust-bundle.json', undefined)).status).toBe(503);
    // Verifications until the limiter refuses one: counted by its problem code, whoever refused.
    for (let i = 0; i < 100 && rateLimited.count === 0; i++) {
      const res = await api('POST', '/v1/verify', undefined, { credential: 'eyJhbGciOiJub25lIn0.e30.' });
      if (res.status === 429) rateLimited.count++;
    }
    expect(rateLimited.count).toBe(1);
    // The background publication has failed once it is counted; wait for that, not for a time.
    // (The start-up sweep may have failed already: the list was signed by the key rotated out.)
    const failuresAtStart = scrapes.broken0.samples.get('launchproof_status_publication_failures_total')!.value;
    for (let i = 0; ; i++) {
      const s = await scrape();
      if (s.samples.get('launchproof_status_publication_failures_total')!.value > failuresAtStart) {
        scrapes.broken1 = s;
        break;
      }
      expect(i, 'the failed publication after the revocation is never counted').toBeLessThan(300);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 300_000);

  afterAll(async () => {
    await service?.stop();
    await stopAllServices();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves /metrics only with the token, on the public listener as on the metrics listener', async () => {
    for (const at of [base, metricsBase]) {
      expect((await fetch(`${at}/metrics`)).status).toBe(401);
      expect((await fetch(`${at}/metrics`, { headers: { authorization: 'Bearer not-the-token' } })).status).toBe(401);
      const ok = await fetch(`${at}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    }
  });

  it('labels requests by route template and status, never by a raw path or a secret', () => {
    const routes = new Set([...scrapes.storm.samples.values()].map((s) => s.labels.route).filter((r) => r !== undefined));
    expect(routes).toContain('/t/:tenant/jwks.json');
    expect(routes).toContain('/v1/tenants');
    expect(routes).not.toContain('/t/demo/jwks.json');
    const all = raw.join('\n');
    for (const secret of [adminToken, metricsToken, badKey, credentialId, kekA, kekB]) expect(all).not.toContain(secret);
    const s = scrapes.storm.samples;
    expect(s.get('launchproof_http_requests_total{method="GET",route="/v1/tenants",status="401"}')?.value).toBe(402);
    expect(s.get('launchproof_credentials_issued_total{format="vc+jwt",tenant="demo"}')?.value).toBe(1);
    expect(s.get('launchproof_verifications_total{outcome="verified",reason="ok"}')?.value).toBe(1);
    expect(s.get('launchproof_key_rotations_total{trigger="requested"}')?.value).toBe(1);
    expect(s.get('launchproof_key_rotations_total{trigger="scheduled"}')?.value).toBe(0);
  });

  it('reports the broken state in the metrics the rules read: KEK, signing, publication, key age, refusals', () => {
    const s = scrapes.broken1.samples;
    const v = (series: string) => s.get(series)?.value;
    expect(v('launchproof_kek_ok')).toBe(0);
    expect(v('launchproof_signing_keys_sealed_under_other_kek')).toBeGreaterThan(0);
    expect(v('launchproof_signing_failures_total{operation="request"}')).toBe(6);
    expect(v('launchproof_signing_failures_total{operation="status_publication"}')).toBeGreaterThanOrEqual(1);
    expect(v('launchproof_http_problems_total{route="/v1/t/:tenant/attestations",code="signing_unavailable"}')).toBe(5);
    expect(v('launchproof_status_changes_total{to="revoked"}')).toBe(1);
    expect(v('launchproof_status_lists_behind')).toBe(1);
    expect(v('launchproof_status_list_publication_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(v('launchproof_signing_key_rotation_due_seconds')).toBeLessThan(10 * 60);
    expect(v('launchproof_signing_key_age_seconds')).toBeGreaterThan(89 * DAY_S);
    expect(v('launchproof_rate_limit_refusals_total{route="/v1/verify"}')).toBe(rateLimited.count);
    expect(scrapes.healthy1.samples.get('launchproof_kek_ok')?.value).toBe(1);
  });

  it('ships a rule file promtool accepts, each alert with a severity and a runbook that exists', () => {
    const check = promtool(['check', 'rules', RULES]);
    expect(check.status, check.output).toBe(0);
    expect(ALERTS.sort()).toEqual(
      [
        'LaunchproofActiveKeyNearExpiry',
        'LaunchproofElevated5xx',
        'LaunchproofKekMismatch',
        'LaunchproofSigningUnavailable',
        'LaunchproofStatusPublicationLag',
        'LaunchproofUnauthenticatedStorm',
      ].sort(),
    );
    for (const r of rules) {
      expect(r.labels?.severity, r.alert).toMatch(/^(page|ticket)$/);
      expect(existsSync(join(ROOT, r.annotations!.runbook_url!)), `${r.alert}: ${r.annotations?.runbook_url}`).toBe(true);
    }
  });

  it('stays silent on a healthy service', async () => {
    const run = await evaluate(dir, 'healthy', scrapes.healthy0, scrapes.healthy1, []);
    expect(run.status, run.output).toBe(0);
  });

  it('would notice a rule that does not fire as expected (the check is not vacuous)', async () => {
    const run = await evaluate(dir, 'vacuous', scrapes.healthy0, scrapes.healthy1, ['LaunchproofKekMismatch']);
    expect(run.status).not.toBe(0);
    expect(run.output).toContain('LaunchproofKekMismatch');
  });

  it('fires the 401-storm alert, and only it, for a burst of bad API keys', async () => {
    const run = await evaluate(dir, 'storm', scrapes.healthy1, scrapes.storm, ['LaunchproofUnauthenticatedStorm']);
    expect(run.status, run.output).toBe(0);
  });

  it('fires 5xx, signing-unavailable, KEK-mismatch, publication-lag and key-expiry alerts for a service started with the wrong KEK', async () => {
    const run = await evaluate(dir, 'broken', scrapes.broken0, scrapes.broken1, [
      'LaunchproofElevated5xx',
      'LaunchproofSigningUnavailable',
      'LaunchproofKekMismatch',
      'LaunchproofStatusPublicationLag',
      'LaunchproofActiveKeyNearExpiry',
    ]);
    expect(run.status, run.output).toBe(0);
  });

  it('ships a dashboard whose every query parses and reads only metrics the service emits', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ title: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(15);
    // promtool parses expressions when they are recording rules.
    const file = join(dir, 'dashboard-rules.json');
    await writeFile(
      file,
      JSON.stringify({ groups: [{ name: 'dashboard', rules: exprs.map((e, i) => ({ record: `dashboard:panel_${i}`, expr: e.expr })) }] }),
    );
    const check = promtool(['check', 'rules', file]);
    expect(check.status, check.output).toBe(0);

    const emitted = new Set(Object.values(scrapes).flatMap((s) => [...s.samples.values()].map((x) => x.name)));
    for (const { title, expr } of exprs) {
      const names = expr.match(/\blaunchproof_[a-z0-9_]+/g) ?? [];
      expect(names.length, title).toBeGreaterThan(0);
      for (const name of names) expect(emitted, `${title}: ${name}`).toContain(name);
    }
  });

  it('documents every metric it emits in docs/metrics.md, and nothing else', async () => {
    const doc = await readFile(join(ROOT, 'docs/metrics.md'), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `(launchproof_[a-z0-9_]+)`/gm)].map((m) => m[1]!));
    const families = new Set(Object.values(scrapes).flatMap((s) => [...s.types.keys()].filter((n) => n.startsWith('launchproof_'))));
    expect([...documented].sort()).toEqual([...families].sort());
  });
});
