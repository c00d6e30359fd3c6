import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logKeys } from '../../src/keys/key-store.ts';
import { logVerifierKey } from '../../src/keys/log-key.ts';
import { appendEntries } from '../../src/transparency/store.ts';
import { profilePublishedEntry } from '../../src/transparency/events.ts';
import { withTenant } from '../../src/store/tenant-scope.ts';
import { parsePackageJson } from '../../src/transparency/audit-package.ts';
import { readHead } from '../../src/transparency/store.ts';
import { allTenants, expectProblem, readinessAssessment } from '../http/helpers.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { offlineCli } from '../support/offline-cli.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RANGE = { from: '2025-12-31T00:00:00Z', to: '2026-01-02T00:00:00+00:00' };

describe.each(engines())('audit exports on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  let dir: string;
  let auditor: { id: string; token: string };
  let issuer: { id: string; token: string };
  let attestation: string;

  const mint = async (tenant: string, roles: string[]) => {
    const res = await h.request('POST', `/v1/t/${tenant}/api-keys`, { token: h.adminToken, body: { roles } });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; token: string };
  };
  type ExportWire = {
    id: string;
    status: string;
    download_url: string | null;
    expires_at: string | null;
    available_until: string;
    built_at: string | null;
    requested_by: string;
  };
  const ask = async (body: unknown, token = auditor.token, tenant = 'acme') =>
    h.request('POST', `/v1/t/${tenant}/audit-exports`, { token, body });
  const requested = async (format: string, tenant = 'acme', token = auditor.token) => {
    const res = await ask({ ...RANGE, format }, token, tenant);
    expect(res.status, await res.clone().text()).toBe(202);
    return (await res.json()) as ExportWire;
  };
  const status = async (id: string, tenant = 'acme') => {
    const res = await h.request('GET', `/v1/t/${tenant}/audit-exports/${id}`, { token: auditor.token });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json()) as ExportWire;
  };
  /** The download, by the link alone: no API key. */
  const download = (url: string) => {
    const u = new URL(url);
    expect(u.origin).toBe('https://issuer.test');
    return h.request('GET', `${u.pathname}${u.search}`);
  };
  const vkeyOf = async (tenant: string) => {
    await h.settleLog();
    return withTenant(t.db, tenant, async (tx) => {
      const head = await readHead(tx, tenant);
      const [key] = await logKeys(tx, tenant);
      return logVerifierKey({ origin: head!.origin, publicJwk: key!.publicJwk });
    });
  };

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db);
    dir = await mkdtemp(join(tmpdir(), 'launchproof-audit-export-'));
    for (const id of ['acme', 'other'])
      expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id, name: id } })).status).toBe(201);
    auditor = await mint('acme', ['auditor']);
    issuer = await mint('acme', ['issuer', 'status']);
    const issued = await h.request('POST', '/v1/t/acme/attestations', {
      token: issuer.token,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt', 'dc+sd-jwt'] },
    });
    expect(issued.status, await issued.clone().text()).toBe(201);
    attestation = ((await issued.json()) as { attestation_id: string }).attestation_id;
    const suspended = await h.request('PATCH', `/v1/t/acme/attestations/${attestation}/status`, {
      token: issuer.token,
      body: { status: 'suspended', reason: 'audit in progress', public_reason: 'under review' },
    });
    expect(suspended.status).toBe(200);
  });
  afterAll(async () => {
    await h.exports.stop();
    await h.sequencing.stop();
    await t.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('builds a package in each format off the request path, served by its signed link, which `audit verify` accepts offline', async () => {
    const vkey = await vkeyOf('acme');
    const runs = [];
    for (const format of ['json', 'csv', 'zip']) {
      const asked = await requested(format);
      expect(asked).toMatchObject({ status: 'pending', built_at: null, requested_by: `api_key:${auditor.id}` });
      expect(Date.parse(asked.expires_at!) - h.clock().getTime()).toBe(HOUR);
      expect(Date.parse(asked.available_until) - h.clock().getTime()).toBe(7 * DAY);
      await h.settleExports();
      expect((await status(asked.id)).status).toBe('ready');
      const res = await download(asked.download_url!);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch({ json: /^application\/json/, csv: /^text\/csv/, zip: /^application\/zip/ }[format]!);
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="audit-export-${asked.id}.${format}"`);
      expect(res.headers.get('cache-control')).toContain('no-store');
      const file = join(dir, `package.${format}`);
      await writeFile(file, new Uint8Array(await res.arrayBuffer()));
      runs.push(offlineCli('audit', 'verify', file, '--expect-key', vkey, '--json').then((r) => ({ format, ...r })));
    }
    for (const r of await Promise.all(runs)) {
      expect(r.status, `${r.format}: ${r.stderr}${r.stdout}`).toBe(0);
      const report = JSON.parse(r.stdout) as {
        verified: boolean;
        format: string;
        entries: number;
        problems: unknown[];
        key_pinned: boolean;
      };
      expect(report).toMatchObject({ verified: true, format: r.format, problems: [], key_pinned: true });
      // The tenant's key events, the issuance and the suspension.
      expect(report.entries).toBe(5);
    }
  });

  it('puts in the package exactly the entries of its range, with proofs a Python check written from RFC 9162 accepts', async () => {
    const asked = await requested('json');
    await h.settleExports();
    const p = parsePackageJson(await (await download(asked.download_url!)).text());
    const types = p.entries.map((e) => (JSON.parse(e.entry) as { type: string }).type);
    expect(types).toEqual(['key.created', 'key.activated', 'key.created', 'attestation.issued', 'status.changed']);
    expect(p.entries.map((e) => e.index)).toEqual([0, 1, 2, 3, 4]);
    expect(p.from).toBe('2025-12-31T00:00:00.000Z');
    expect(p.logKeys).toEqual([await vkeyOf('acme')]);

    // Every entry of the log is in the range, so Python can compute every tree head from the entries themselves.
    const size = Number(p.checkpoint.split('\n')[1]);
    expect(size).toBe(p.entries.length);
    const run = spawnSync('python3', [join(import.meta.dirname, 'rfc9162_check.py')], {
      input: JSON.stringify({
        entries: p.entries.map((e) => Buffer.from(e.entry, 'utf8').toString('hex')),
        inclusion: p.entries.map((e) => ({ index: e.index, size, proof: e.inclusionProof })),
        consistency: [],
      }),
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const checked = JSON.parse(run.stdout) as { roots: string[]; inclusion: boolean[] };
    expect(checked.inclusion).toEqual(p.entries.map(() => true));
    expect(checked.roots[size]).toBe(Buffer.from(p.checkpoint.split('\n')[2]!, 'base64').toString('hex'));

    // A narrower range: only what happened in it (here: nothing, a day before the log began).
    const none = await h.request('POST', '/v1/t/acme/audit-exports', {
      token: auditor.token,
      body: { from: '2025-06-01T00:00:00Z', to: '2025-06-02T00:00:00Z', format: 'json' },
    });
    await h.settleExports();
    const empty = parsePackageJson(await (await download(((await none.json()) as ExportWire).download_url!)).text());
    expect(empty.entries).toEqual([]);
  });

  it('records the request and every download as audit events, against the export and the auditor who asked', async () => {
    const asked = await requested('csv');
    await h.settleExports();
    expect((await download(asked.download_url!)).status).toBe(200);
    expect((await download(asked.download_url!)).status).toBe(200);
    const events = await allTenants(t.db, (tx) =>
      tx.query<{ actor: string; action: string; detail: Record<string, unknown> }>(
        `select actor, action, detail from audit_events where tenant_id = 'acme' and target = $1 order by at, action`,
        [asked.id],
      ),
    );
    expect(events.map((e) => [e.action, e.actor])).toEqual([
      ['audit_export.downloaded', `api_key:${auditor.id}`],
      ['audit_export.downloaded', `api_key:${auditor.id}`],
      ['audit_export.requested', `api_key:${auditor.id}`],
    ]);
    expect(events[0]!.detail).toMatchObject({ via: 'signed_link', link_expires_at: asked.expires_at });
    expect(events[2]!.detail).toEqual({ from: '2025-12-31T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z', format: 'csv' });
  });

  it('refuses a link for another export, for another tenant, or with its expiry or signature changed, and records no download', async () => {
    const a = await requested('json');
    const b = await requested('json');
    const onOther = await mint('other', ['auditor']);
    const theirs = await requested('json', 'other', onOther.token);
    await h.settleExports();
    const link = new URL(a.download_url!);
    const expires = link.searchParams.get('expires')!;
    const sig = link.searchParams.get('sig')!;
    const tries = [
      `/t/acme/audit-exports/${b.id}/package?expires=${expires}&sig=${sig}`,
      `/t/other/audit-exports/${a.id}/package?expires=${expires}&sig=${sig}`,
      `/t/other/audit-exports/${theirs.id}/package?expires=${expires}&sig=${sig}`,
      `/t/acme/audit-exports/${a.id}/package?expires=${Number(expires) + 3600}&sig=${sig}`,
      `/t/acme/audit-exports/${a.id}/package?expires=${expires}&sig=${sig.slice(0, -2)}${sig.endsWith('AA') ? 'AB' : 'AA'}`,
      `/t/acme/audit-exports/${a.id}/package?expires=${expires}`,
      `/t/acme/audit-exports/${a.id}/package`,
      `/t/acme/audit-exports/not-an-id/package?expires=${expires}&sig=${sig}`,
      `/t/no-such-tenant/audit-exports/${a.id}/package?expires=${expires}&sig=${sig}`,
    ];
    for (const path of tries) await expectProblem(await h.request('GET', path), 403, 'audit_export_link_invalid');
    // The genuine link still opens it: the refusals above are the link's, not the export's.
    expect((await download(a.download_url!)).status).toBe(200);
    const downloads = await allTenants(t.db, (tx) =>
      tx.query<{ target: string }>(`select target from audit_events where action = 'audit_export.downloaded' and target in ($1, $2, $3)`, [
        a.id,
        b.id,
        theirs.id,
      ]),
    );
    expect(downloads.map((d) => d.target)).toEqual([a.id]);
  });

  it('answers 410 once the link expires, a fresh link with the status, and 410 for every link once the export expires', async () => {
    const asked = await requested('zip');
    await h.settleExports();
    h.clock.set(new Date(h.clock().getTime() + HOUR));
    await expectProblem(await download(asked.download_url!), 410, 'audit_export_gone');
    const fresh = await status(asked.id);
    expect(fresh.download_url).not.toBe(asked.download_url);
    expect((await download(fresh.download_url!)).status).toBe(200);
    h.clock.set(new Date(Date.parse(asked.available_until) - 60_000));
    const last = await status(asked.id);
    // A link never outlives its export.
    expect(last.expires_at).toBe(asked.available_until);
    h.clock.set(new Date(Date.parse(asked.available_until)));
    await expectProblem(await download(last.download_url!), 410, 'audit_export_gone');
    expect(await status(asked.id)).toMatchObject({ status: 'expired', download_url: null, expires_at: null });
    h.clock.set(new Date('2026-01-01T00:00:00Z'));
  });

  it('lets only the auditor role ask for an export or read its status', async () => {
    const asked = await requested('json');
    const admin = await mint('acme', ['admin']);
    for (const token of [issuer.token, admin.token]) {
      await expectProblem(await ask({ ...RANGE, format: 'json' }, token), 403, 'forbidden');
      await expectProblem(await h.request('GET', `/v1/t/acme/audit-exports/${asked.id}`, { token }), 403, 'forbidden');
    }
    await expectProblem(
      await h.request('POST', '/v1/t/acme/audit-exports', { body: { ...RANGE, format: 'json' } }),
      401,
      'unauthenticated',
    );
    await expectProblem(
      await h.request('GET', '/v1/t/acme/audit-exports/00000000-0000-4000-8000-000000000000', { token: auditor.token }),
      404,
      'audit_export_not_found',
    );
  });

  it('refuses a range that is not two RFC 3339 instants in order, at most 366 days apart, or an unknown format', async () => {
    const cases: [unknown, string][] = [
      [{ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z', format: 'json' }, '/to'],
      [{ ...RANGE, format: 'pdf' }, '/format'],
      [{ ...RANGE, from: '2026-01-01', format: 'json' }, '/from'],
      [{ ...RANGE, to: 'yesterday', format: 'json' }, '/to'],
      [{ ...RANGE, from: '2026-01-01T00:00:00', format: 'json' }, '/from'],
      [{ from: '2024-01-01T00:00:00Z', to: '2025-01-02T00:00:01Z', format: 'json' }, '/to'],
      [{ ...RANGE }, '/format'],
      // Valid RFC 3339, but before any instant a log can hold (PostgreSQL has no year 0): not a 500.
      [{ from: '0000-01-01T00:00:00Z', to: '0000-12-31T00:00:00Z', format: 'json' }, '/from'],
      [{ from: '9999-12-31T00:00:00Z', to: '9999-12-31T23:59:59-01:00', format: 'json' }, '/to'],
    ];
    for (const [body, pointer] of cases) {
      const problem = await expectProblem(await ask(body), 400, 'invalid_request');
      expect(
        problem.errors?.map((e) => e.pointer),
        JSON.stringify(body),
      ).toContain(pointer);
    }
  });

  // Last: it stops the builder.
  it('fails an export of more than 20,000 entries with the reason, without building it, and builds the next one', async () => {
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'bulk', name: 'bulk' } })).status).toBe(201);
    const bulkAuditor = await mint('bulk', ['auditor']);
    const at = h.clock();
    await withTenant(t.db, 'bulk', (tx) =>
      appendEntries(
        tx,
        'bulk',
        Array.from({ length: 20_001 }, (_, i) =>
          profilePublishedEntry('bulk', { id: 'bulk', version: String(i), digest: `sha256-${'A'.repeat(43)}=`, at }),
        ),
      ),
    );
    await h.settleLog();
    const tooLong = await requested('json', 'bulk', bulkAuditor.token);
    await h.settleExports();
    const res = await h.request('GET', `/v1/t/bulk/audit-exports/${tooLong.id}`, { token: bulkAuditor.token });
    const failed = (await res.json()) as ExportWire & { failure: string | null };
    expect(failed).toMatchObject({ status: 'failed', download_url: null });
    expect(failed.failure).toMatch(/more than 20000 entries: ask for a shorter one/);
    // The builder went on: the next export is built.
    const next = await requested('json');
    await h.settleExports();
    expect((await status(next.id)).status).toBe('ready');
  }, 120_000);

  it('answers 409 with Retry-After while the package is being built', async () => {
    await h.exports.stop();
    const asked = await requested('json');
    const res = await download(asked.download_url!);
    expect(res.headers.get('retry-after')).toBe('2');
    await expectProblem(res, 409, 'audit_export_not_ready');
    expect((await status(asked.id)).status).toBe('pending');
  });
});
