import { expect } from 'vitest';
import type { Database } from '../../src/store/port.ts';
import type { Assessment } from '../../src/readiness/assessment.ts';
import type { Profile } from '../../src/readiness/profile.ts';
import { findBuiltinProfile } from '../../src/readiness/registry.ts';

/** An RFC 9457 problem document as launchproof sends it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  request_id?: string;
  errors?: { pointer: string; detail: string }[];
  /** Only on 401 and 403: which role and tenant the operation needs (issue 11, defect 13). */
  detail?: string;
}

/** Members a problem body may carry; anything else (a stack, a detail, a SQL message) is a leak. */
// `checks`: /readyz names the failing part(s) of a 503 not_ready (src/http/routes/health.ts).
const PROBLEM_MEMBERS = new Set(['type', 'title', 'status', 'code', 'request_id', 'errors', 'checks']);

/**
 * Reads a response that must be a problem with the given status and code, and checks the
 * contract every error shares: problem+json, a URN type naming the code, the HTTP status
 * repeated in the body, the request id of the x-request-id header, nothing else.
 */
export async function expectProblem(res: Response, status: number, code: string): Promise<Problem> {
  const text = await res.text();
  expect(res.status, `${status} ${code} expected, got ${res.status}: ${text}`).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json(;|$)/);
  const body = JSON.parse(text) as Problem;
  expect(body.code).toBe(code);
  expect(body.type).toBe(`urn:launchproof:problem:${code}`);
  expect(body.status).toBe(res.status);
  expect(typeof body.title).toBe('string');
  expect(body.request_id).toBeTruthy();
  expect(body.request_id).toBe(res.headers.get('x-request-id'));
  expect(Object.keys(body).filter((k) => !PROBLEM_MEMBERS.has(k) && !(k === 'detail' && (status === 401 || status === 403)))).toEqual([]);
  expect(text).not.toMatch(/\n\s+at |\.ts:\d+|\.js:\d+/);
  return body;
}

/**
 * Tests read every tenant's rows through the service's own cross-tenant scope: row-level
 * security is FORCEd, so a plain query would see nothing and prove nothing.
 */
import { acrossTenants as allTenants } from '../../src/store/tenant-scope.ts';

export { allTenants };

/**
 * What work off the request path writes, on its own schedule after a request has answered: the
 * log sequencer's tables and the index it gives each entry, the webhook events it places and
 * what their dispatcher records, and the package the audit-export builder stores. A snapshot taken around one request leaves them out, or it would see that work
 * catch up on an earlier request; the rows a request writes are kept.
 */
// outbox_events also takes a row from a request (offer.redeemed, with its credential), but the
// sequencer's rows beside it make the table background work's as a whole.
const SEQUENCER_TABLES = new Set(['log_heads', 'log_tiles', 'log_keys', 'outbox_events', 'webhook_deliveries']);
/** Columns background work fills in after a request: an entry's index, an audit export's package, a webhook's delivery state. */
const BACKGROUND_COLUMNS: Record<string, readonly string[]> = {
  log_entries: ['idx'],
  audit_exports: ['built_at', 'failure', 'media_type', 'package'],
  webhooks: ['after_position', 'attempts', 'failing_since', 'next_attempt_at', 'lease_until', 'state', 'disabled_at', 'disabled_reason'],
};
const rowJson = (name: string) => `(to_jsonb(t)${(BACKGROUND_COLUMNS[name] ?? []).map((c) => ` - '${c}'`).join('')})::text`;

/**
 * Every row of every table the service stores (all of schema public but the migration history),
 * each table's rows sorted: equal snapshots mean nothing changed. A table added by a later
 * migration is covered without touching this. The log sequencer's own state is left out (above).
 */
export function storedState(db: Database): Promise<Record<string, string[]>> {
  return allTenants(db, async (tx) => {
    const tables = await tx.query<{ name: string }>(
      `select tablename as name from pg_tables where schemaname = 'public' and tablename <> 'schema_migrations' order by tablename`,
    );
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['tenants', 'signing_keys', 'api_keys', 'audit_events']));
    const state: Record<string, string[]> = {};
    for (const { name } of tables) {
      if (SEQUENCER_TABLES.has(name)) continue;
      const rows = await tx.query<{ row: string }>(`select ${rowJson(name)} as row from ${name} as t`);
      state[name] = rows.map((r) => r.row).sort();
    }
    return state;
  });
}

/**
 * One tenant's rows: its tenants row and its rows in every table with a tenant_id column
 * (so tables added by later migrations are covered too), each table's rows sorted.
 */
export function tenantState(db: Database, tenantId: string): Promise<Record<string, string[]>> {
  return allTenants(db, async (tx) => {
    const tables = await tx.query<{ name: string }>(
      `select table_name as name from information_schema.columns
       where table_schema = 'public' and column_name = 'tenant_id' order by table_name`,
    );
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['signing_keys', 'api_keys', 'audit_events']));
    const rowsOf = async (sql: string) => (await tx.query<{ row: string }>(sql, [tenantId])).map((r) => r.row).sort();
    const state: Record<string, string[]> = { tenants: await rowsOf('select to_jsonb(t)::text as row from tenants as t where id = $1') };
    for (const { name } of tables)
      if (!SEQUENCER_TABLES.has(name)) state[name] = await rowsOf(`select ${rowJson(name)} as row from ${name} as t where tenant_id = $1`);
    return state;
  });
}

/** The kids of a tenant's keys that verify right now: not revoked, and not past their publication window. */
export async function publishedKids(
  db: Database,
  tenantId: string,
  now: Date,
): Promise<{ kid: string; public_jwk: Record<string, string>; alg: string }[]> {
  return allTenants(db, (tx) =>
    tx.query(
      `select kid, public_jwk, alg from signing_keys
       where tenant_id = $1 and revoked_at is null and (publish_until is null or publish_until > $2)
       order by kid`,
      [tenantId, now],
    ),
  );
}

/** The key of a tenant that is signing now (activated, not retired, not revoked). */
export async function activeKid(db: Database, tenantId: string): Promise<string> {
  const rows = await allTenants(db, (tx) =>
    tx.query<{ kid: string }>(
      'select kid from signing_keys where tenant_id = $1 and activated_at is not null and retired_at is null and revoked_at is null',
      [tenantId],
    ),
  );
  expect(rows).toHaveLength(1);
  return rows[0]!.kid;
}

/** An OpenAPI operation as the tests need it. */
export interface Operation {
  method: string;
  path: string;
  /** Takes a body and answers in problem+json: the body sweeps send it one. */
  hasBody: boolean;
  /**
   * A wallet-facing OAuth endpoint (tagged `oauth`): its errors are RFC 6749 `{error}` bodies, not
   * problems, and it needs a token or a form the sweeps cannot make up. test/oid4vci covers it.
   */
  oauth: boolean;
}

/** Every operation /openapi.json documents. */
export function documentedOperations(doc: {
  paths: Record<string, Record<string, { requestBody?: unknown; tags?: string[] }>>;
}): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => {
      const oauth = op.tags?.includes('oauth') ?? false;
      return { method: method.toUpperCase(), path, hasBody: op.requestBody !== undefined && !oauth, oauth };
    }),
  );
}

/** Every route the app serves, in OpenAPI path syntax; middleware registrations (method ALL) are not routes. */
export function servedRoutes(app: { routes: readonly { method: string; path: string }[] }): string[] {
  const keys = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
  return [...new Set(keys)].sort();
}

/**
 * A body each documented operation accepts. An operation that takes a body and is missing here
 * fails the tests that sweep every route, so a new route cannot be skipped silently.
 */
export function validBody(op: Operation, unique: string, params: Record<string, string> = {}): unknown {
  const bodies: Record<string, unknown> = {
    'POST /v1/tenants': { id: `t-${unique}`.toLowerCase(), name: `Tenant ${unique}` },
    'POST /v1/t/{tenant}/api-keys': { roles: ['auditor'], label: `key ${unique}` },
    'POST /v1/t/{tenant}/keys/{kid}/revoke': { reason: `test ${unique}` },
    'PUT /v1/t/{tenant}/key-policy': { algorithm: 'EdDSA', rotationPeriodDays: 30, maxCredentialValidityDays: 60, retiredPublishDays: 90 },
    'POST /v1/t/{tenant}/assessments': readinessAssessment(),
    'POST /v1/t/{tenant}/attestations': { assessment: readinessAssessment(), formats: ['vc+jwt'] },
    'POST /v1/t/{tenant}/profiles': tenantProfile(`p-${unique}`.toLowerCase(), '1.0.0'),
    // Revoked, because a key revocation earlier in a sweep may already have revoked the credential:
    // asking again is then a no-op that still succeeds, whatever order the routes run in.
    'PATCH /v1/t/{tenant}/credentials/{credential}/status': { status: 'revoked', reason: `test ${unique}` },
    'POST /v1/t/{tenant}/credentials/revoke': { subject: `nobody ${unique}`, reason: `test ${unique}` },
    // Shareable whatever the attestation's formats: revealing nothing is allowed for a VC-JWT too.
    // The date is within a share's longest life of the harness clock's start (2026-01-01).
    'POST /v1/t/{tenant}/attestations/{attestation}/shares': { reveal: [], expires_at: '2026-03-01T00:00:00Z', label: `buyer ${unique}` },
    // Revoking, like the per-credential PATCH: a no-op that still succeeds when something revoked it first.
    'PATCH /v1/t/{tenant}/attestations/{attestation}/status': {
      status: 'revoked',
      reason: `test ${unique}`,
      public_reason: `withdrawn ${unique}`,
    },
    // A well-formed request for a credential that does not verify: the answer is still a 200 report.
    'POST /v1/verify': { credential: `eyJhbGciOiJub25lIn0.${unique}.` },
    'POST /v1/present': { credential: 'eyJhbGciOiJFUzI1NiJ9.eyJfc2QiOltdfQ.AAAA~', reveal: [] },
    'POST /v1/t/{tenant}/audit-exports': { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', format: 'json' },
    'POST /v1/t/{tenant}/offers': { assessment: readinessAssessment(), formats: ['dc+sd-jwt'] },
    // A public name: registering resolves nothing (each delivery does, by address).
    'POST /v1/t/{tenant}/webhooks': { url: `https://hooks.example.com/${unique}`, event_types: ['attestation.status_changed'] },
    'POST /v1/t/{tenant}/webhooks/{webhook}/secret': { overlap_seconds: 60 },
    'POST /s/{token}/subscriptions': { url: `https://hooks.example.com/${unique}`, party: 'Globex procurement' },
    'POST /v1/t/{tenant}/webhooks/{webhook}/replay': {},
    'POST /t/{tenant}/credentials/issue': {
      credential: {
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        type: ['VerifiableCredential'],
        credentialSubject: { assessment: readinessAssessment() },
      },
    },
    // As for /v1/verify: well-formed, does not verify, still a 200.
    'POST /t/{tenant}/credentials/verify': {
      verifiableCredential: {
        '@context': 'https://www.w3.org/ns/credentials/v2',
        id: `data:application/vc+jwt,eyJhbGciOiJub25lIn0.${unique}.`,
        type: 'EnvelopedVerifiableCredential',
      },
    },
    // Revoking, for the same reason as the PATCH above; the credential is the sweep's own.
    'POST /t/{tenant}/credentials/status': {
      credentialId: params.credential ?? `urn:uuid:00000000-0000-4000-8000-000000000000`,
      credentialStatus: { type: 'BitstringStatusListEntry', statusPurpose: 'revocation' },
      status: true,
    },
  };
  const key = `${op.method} ${op.path}`;
  if (!op.hasBody) {
    if (key in bodies) throw new TypeError(`${key} takes no body any more: remove it from validBody`);
    return undefined;
  }
  if (!(key in bodies)) throw new TypeError(`${key} takes a body: add a valid one to validBody in test/http/helpers.ts`);
  return bodies[key];
}

/** Fills `{name}` path parameters; an unknown parameter is a test to extend, not a route to skip. */
export function fillPath(path: string, params: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`no value for path parameter {${name}} of ${path}`);
    return encodeURIComponent(value);
  });
}

/** An assessment of the built-in readiness review in which every control passes with evidence. */
export function readinessAssessment(overrides: { failing?: string[] } = {}): Assessment {
  const profile = findBuiltinProfile('production-readiness-review', '1.0.0')!;
  const unknown = (overrides.failing ?? []).filter((id) => !profile.sections.some((s) => s.controls.some((c) => c.id === id)));
  if (unknown.length > 0) throw new TypeError(`no such control to fail: ${unknown.join(', ')}`);
  return {
    profile: { id: profile.id, version: profile.version },
    subject: { organisation: 'Acme Corp', product: 'Acme Cloud', productionUrl: 'https://app.acme.example' },
    results: profile.sections.flatMap((s) =>
      s.controls.map((c, i) =>
        overrides.failing?.includes(c.id)
          ? { control: c.id, status: 'fail' as const, note: 'not done yet' }
          : {
              control: c.id,
              status: 'pass' as const,
              evidence: [
                {
                  uri: `https://evidence.acme.example/${c.id}/${i}.json`,
                  digestSRI: 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
                  mediaType: 'application/json',
                  collectedAt: '2025-12-30T10:00:00Z',
                  collectedBy: 'release pipeline',
                },
              ],
            },
      ),
    ),
    signOffs: [],
  } as Assessment;
}

/** A minimal valid tenant profile: one stage, one required strict control. */
export function tenantProfile(id: string, version: string): Profile {
  return {
    id,
    version,
    title: `Profile ${id}`,
    description: 'A tenant profile written for the tests.',
    source: 'The tests.',
    audiences: ['security'],
    stages: [{ id: 'ready', title: 'Ready', description: 'Everything required passes.' }],
    sections: [
      {
        id: 'core',
        title: 'Core',
        controls: [
          {
            id: 'core.only',
            title: 'The only control',
            description: 'What the only control checks.',
            required: true,
            audiences: ['security'],
            evidence: { expected: 'A report.' },
            ifMissing: 'Not ready without it.',
            stage: 'ready',
            strict: true,
            applicability: 'always',
          },
        ],
      },
    ],
    signOffs: [],
  } as Profile;
}

/**
 * Publishes a tenant's own profile (`tenantProfile`) and issues one attestation under it, its one
 * control passing with evidence: what a credential under a profile only this deployment knows looks like.
 */
export async function issueUnderOwnProfile(
  h: { request: (method: string, path: string, init?: { token?: string; body?: unknown }) => Promise<Response>; adminToken: string },
  tenant: string,
  profile: { id: string; version: string },
  formats: string[],
): Promise<{ attestation_id: string; credentials: { id: string; format: string; credential: string }[] }> {
  const own = tenantProfile(profile.id, profile.version);
  const published = await h.request('POST', `/v1/t/${tenant}/profiles`, { token: h.adminToken, body: own });
  if (published.status !== 201) throw new TypeError(`profile not published: ${await published.text()}`);
  const assessment = {
    profile: { id: own.id, version: own.version },
    subject: { organisation: 'Acme Corp', product: 'Acme Edge', productionUrl: 'https://edge.acme.example' },
    results: [{ control: 'core.only', status: 'pass', evidence: readinessAssessment().results[0]!.evidence }],
    signOffs: [],
  };
  const res = await h.request('POST', `/v1/t/${tenant}/attestations`, { token: h.adminToken, body: { assessment, formats } });
  if (res.status !== 201) throw new TypeError(`not issued: ${await res.text()}`);
  return (await res.json()) as { attestation_id: string; credentials: { id: string; format: string; credential: string }[] };
}
