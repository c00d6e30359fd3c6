import { readFile, readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { builtinProfiles, findBuiltinProfile } from '../../src/readiness/registry.ts';
import { profileControls, profileSchema, type Profile } from '../../src/readiness/profile.ts';

const dir = new URL('../../wellknown/profiles/', import.meta.url);
const get = (id: string): Profile => findBuiltinProfile(id, '1.0.0')!;
const ids = (p: Profile, pick: (c: ReturnType<typeof profileControls>[number]) => boolean) =>
  profileControls(p)
    .filter(pick)
    .map((c) => c.id);

describe('built-in profiles', () => {
  it('registers every file in wellknown/profiles, each valid against the schema and named after its id and version', async () => {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(
      builtinProfiles()
        .map((p) => `${p.id}-${p.version}.json`)
        .sort(),
    );
    for (const f of files) {
      const raw: unknown = JSON.parse(await readFile(new URL(f, dir), 'utf8'));
      expect(profileSchema.parse(raw)).toEqual(raw);
    }
  });

  it('are frozen, so nothing can change a profile under its digest', () => {
    const p = get('production-proof');
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.sections[0]!.controls[0]!.evidence)).toBe(true);
  });

  it('name no vendor or product from the source documents', async () => {
    const text = (await Promise.all((await readdir(dir)).map((f) => readFile(new URL(f, dir), 'utf8')))).join('\n');
    expect(text).not.toMatch(
      /thesmios|vaultmesh|agentnexus|supabase|stripe|resend|upstash|sentry|vercel|prometheus|grafana|helmet|guardian/i,
    );
    // Environment variable names are the source's plumbing, not facts about readiness.
    expect(text).not.toMatch(/\b[A-Z][A-Z0-9]{2,}_[A-Z0-9_]{2,}\b/);
  });
});

describe('production-proof@1.0.0', () => {
  const p = get('production-proof');

  it('has the eleven proof groups: seven fixture or operator proofs, three vendor or enterprise gates, one customer acceptance', () => {
    expect(profileControls(p)).toHaveLength(11);
    expect(p.sections.map((s) => [s.id, s.controls.length])).toEqual([
      ['fixture', 7],
      ['vendor', 3],
      ['acceptance', 1],
    ]);
  });

  it('keeps the audience of each group', () => {
    expect(Object.fromEntries(profileControls(p).map((c) => [c.id, c.audiences]))).toEqual({
      'fixture.public_launch': ['buyer'],
      'fixture.operator_seed': ['operator'],
      'fixture.tenant_isolation': ['security'],
      'fixture.issuer_signing': ['security'],
      'fixture.evidence_files': ['security'],
      'fixture.audit_export': ['security'],
      'fixture.privacy_rights': ['buyer'],
      'vendor.notifications': ['operator'],
      'vendor.billing': ['finance'],
      'vendor.enterprise_identity': ['enterprise'],
      'acceptance.customer': ['buyer'],
    });
  });

  it('has exactly one customer acceptance gate, on the managed private beta', () => {
    expect(p.acceptance).toMatchObject({ required: true, stage: 'managed_private_beta' });
    expect(p.sections.filter((s) => s.id === 'acceptance').flatMap((s) => s.controls)).toHaveLength(1);
  });

  it('stages the launch from public checks to enterprise and gates each group where its fallback bites', () => {
    expect(p.stages.map((s) => s.id)).toEqual(['public_checks', 'managed_private_beta', 'self_serve', 'enterprise']);
    const at = (stage: string) => ids(p, (c) => c.stage === stage);
    expect(at('public_checks')).toEqual(['fixture.public_launch']);
    expect(at('managed_private_beta')).toEqual([
      'fixture.operator_seed',
      'fixture.tenant_isolation',
      'fixture.issuer_signing',
      'fixture.privacy_rights',
      'acceptance.customer',
    ]);
    expect(at('self_serve')).toEqual(['vendor.notifications', 'vendor.billing']);
    expect(at('enterprise')).toEqual(['fixture.evidence_files', 'fixture.audit_export', 'vendor.enterprise_identity']);
  });

  it('keeps every group required and in the strict gate, each with a fallback', () => {
    for (const c of profileControls(p))
      expect(c).toMatchObject({ required: true, strict: true, applicability: 'always', ifMissing: expect.any(String) });
  });

  it('marks only the public proof and the billing proof as read-only', () => {
    expect(ids(p, (c) => c.mutatesProduction === false)).toEqual(['fixture.public_launch', 'vendor.billing']);
    expect(ids(p, (c) => c.mutatesProduction === true)).toHaveLength(9);
  });
});

describe('production-readiness-checklist@1.0.0', () => {
  const p = get('production-readiness-checklist');

  it('has the twelve sections of the checklist', () => {
    expect(p.sections.map((s) => s.id)).toEqual([
      'environment',
      'security',
      'observability',
      'reliability',
      'data',
      'api',
      'cicd',
      'runbooks',
      'smoke',
      'deployment',
      'performance',
      'signoff',
    ]);
  });

  it('makes everything must-pass except the items marked optional or recommended', () => {
    expect(ids(p, (c) => !c.required)).toEqual([
      'environment.jwks_url_override',
      'environment.allowed_origins',
      'observability.tracing_export',
      'observability.trace_sampling',
      'cicd.branch_protection',
      'deployment.single_port',
    ]);
  });

  it('gates the pilot on the go/no-go summary', () => {
    expect(p.stages.map((s) => s.id)).toEqual(['pilot', 'production']);
    expect(ids(p, (c) => c.stage === 'pilot')).toEqual([
      'environment.live_core_mode',
      'environment.dev_bypass_off',
      'security.rate_limits',
      'observability.metrics_scraped',
      'observability.dashboards',
      'data.backup_job',
      'data.restore_tested',
      'api.openapi_versioned',
      'cicd.lint_format',
      'cicd.build',
      'cicd.health_smoke',
      'cicd.bypass_smoke',
      'cicd.tokened_smoke',
      'cicd.openapi_check',
      'runbooks.auth_misconfiguration',
      'runbooks.catalog_failure',
      'runbooks.ledger_write_failure',
      'runbooks.agent_unavailable',
      'runbooks.stream_pressure',
      'runbooks.secret_rotation',
      'runbooks.upgrade_rollback',
      'smoke.tokened',
    ]);
  });

  it('needs three people to sign off and the rollback plan validated as a control', () => {
    expect(p.signOffs).toEqual([
      { role: 'security_lead', title: 'Security lead', required: true },
      { role: 'sre_lead', title: 'SRE or operations lead', required: true },
      { role: 'product_owner', title: 'Product owner', required: true },
    ]);
    expect(profileControls(p).find((c) => c.id === 'signoff.rollback_validated')).toMatchObject({ required: true, stage: 'production' });
    expect(p.acceptance).toBeUndefined();
  });

  it('puts exactly the must-pass items in the strict gate', () => {
    for (const c of profileControls(p)) expect(c.strict).toBe(c.required);
  });
});

describe('production-readiness-review@1.0.0', () => {
  const p = get('production-readiness-review');
  const withPriority = (priority: string) => ids(p, (c) => c.priority === priority);

  it("has exactly the review's P0 items as P0", () => {
    expect(withPriority('P0')).toEqual([
      'security.ssrf',
      'security.production_secrets',
      'reliability.email_dependency',
      'reliability.webhook_delivery',
    ]);
  });

  it("has the review's P1 and P2 items", () => {
    expect(withPriority('P1')).toEqual([
      'security.rate_limiting',
      'security.webhook_signing',
      'security.approval_links',
      'reliability.timeout_scheduler',
      'reliability.observability',
      'reliability.health_checks',
      'reliability.database',
      'correctness.idempotency',
      'correctness.optional_callback_url',
      'correctness.error_contract',
      'engineering.automated_tests',
      'engineering.ci_pipeline',
      'compliance.privacy_terms',
      'compliance.data_retention',
    ]);
    expect(withPriority('P2')).toEqual([
      'security.csp_hsts',
      'reliability.async_queue',
      'correctness.approval_assignment',
      'engineering.dependency_hygiene',
      'compliance.attestation',
    ]);
  });

  it('leaves the unprioritised deployment checks without a priority, gating production-grade', () => {
    const unrated = profileControls(p).filter((c) => c.priority === undefined);
    expect(unrated.map((c) => c.id)).toEqual([
      'deployment.environment_matrix',
      'deployment.auth_settings',
      'deployment.ci_build',
      'deployment.repository_hygiene',
    ]);
    for (const c of unrated) expect(c.stage).toBe('production_grade');
  });

  it('maps P0 to launchable, P1 to production-grade and P2 to scale-ready, with the strict gate exactly P0', () => {
    expect(p.stages.map((s) => s.id)).toEqual(['launchable', 'production_grade', 'scale_ready']);
    const stageOf = { P0: 'launchable', P1: 'production_grade', P2: 'scale_ready' } as const;
    for (const c of profileControls(p)) {
      if (c.priority) expect(c.stage).toBe(stageOf[c.priority]);
      expect(c.strict).toBe(c.priority === 'P0');
    }
    expect(p.signOffs).toEqual([]);
    expect(p.acceptance).toBeUndefined();
  });
});
