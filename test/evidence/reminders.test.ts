import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reminderDue } from '../../src/evidence/reminders.ts';
import { createPinnedEdge } from '../../src/runtime/node/pinned-fetch.ts';
import { remindAllTenants, remindTenant, startEvidenceReminders } from '../../src/use-cases/evidence-reminders.ts';
import { dispatchWebhooks } from '../../src/use-cases/webhook-dispatch.ts';
import { webhookSender } from '../../src/webhooks/http-sender.ts';
import type { Assessment } from '../../src/readiness/assessment.ts';
import { allTenants, readinessAssessment } from '../http/helpers.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { Receiver, verify } from '../webhooks/receiver.ts';

const DAY = 86_400_000;
const MINUTE = 60_000;

describe('which reminder is due', () => {
  const expires = new Date('2026-03-01T00:00:00Z');
  const at = (daysLeft: number) => new Date(expires.getTime() - daysLeft * DAY);
  it('30, 7 and 1 days before, each once, in that order', () => {
    expect(reminderDue(expires, at(31), null)).toBeUndefined();
    expect(reminderDue(expires, at(30), null)).toBe(30);
    expect(reminderDue(expires, at(20), 30)).toBeUndefined();
    expect(reminderDue(expires, at(7), 30)).toBe(7);
    expect(reminderDue(expires, at(3), 7)).toBeUndefined();
    expect(reminderDue(expires, at(1), 7)).toBe(1);
    expect(reminderDue(expires, at(0.5), 1)).toBeUndefined();
  });
  it('after an outage, only the most urgent threshold crossed; nothing once expired', () => {
    expect(reminderDue(expires, at(5), null)).toBe(7);
    expect(reminderDue(expires, at(0.5), null)).toBe(1);
    expect(reminderDue(expires, at(0.5), 30)).toBe(1);
    expect(reminderDue(expires, at(0), null)).toBeUndefined();
    expect(reminderDue(expires, at(-3), 30)).toBeUndefined();
  });
});

describe.each(engines())('evidence.expiring reminders, on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  let start: Date;
  let receiver: Receiver;
  let secret: string;

  /** An attestation whose one passing control relies on evidence expiring `days` from the start. */
  const issue = async (days: number, uri: string) => {
    const a = readinessAssessment();
    const assessment: Assessment = {
      ...a,
      results: a.results.map((r) =>
        r.control === 'security.ssrf'
          ? { ...r, evidence: r.evidence!.map((e) => ({ ...e, uri, expiresAt: new Date(start.getTime() + days * DAY).toISOString() })) }
          : r,
      ),
    };
    const res = await h.request('POST', '/v1/t/acme/attestations', { token: h.adminToken, body: { assessment, formats: ['vc+jwt'] } });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { attestation_id: string }).attestation_id;
  };
  /** The days_left of every evidence.expiring event placed for the attestation, in order. */
  const reminders = async (attestationId: string) =>
    (
      await allTenants(t.db, (tx) =>
        tx.query<{ data: { days_left: number } }>(
          "select data from outbox_events where type = 'evidence.expiring' and attestation_id = $1 order by position",
          [attestationId],
        ),
      )
    ).map((r) => r.data.days_left);
  /** Moves the clock to `daysLeft` days (less a minute) before the start + `expiryDays`, and sweeps. */
  const sweepAt = async (expiryDays: number, daysLeft: number) => {
    h.clock.set(new Date(start.getTime() + (expiryDays - daysLeft) * DAY + MINUTE));
    return remindTenant({ db: t.db, now: h.clock, notices: { kek: h.kek, publicUrl: h.config.publicUrl, now: h.clock } }, 'acme');
  };

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db, { env: { PUBLIC_URL: 'http://issuer.test', WEBHOOKS_ALLOW_LOCAL: 'true' } });
    start = h.clock();
    receiver = new Receiver();
    await receiver.start();
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
    const res = await h.request('POST', '/v1/t/acme/webhooks', {
      token: h.adminToken,
      body: { url: receiver.url, event_types: ['evidence.expiring'] },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    secret = ((await res.json()) as { secret: string }).secret;
  });
  afterAll(async () => {
    await receiver.stop();
    await t.dispose();
  });

  it('indexes at issuance only the expiries of passing time-bound controls', async () => {
    h.clock.set(start);
    const id = await issue(40, 'https://evidence.acme.example/pentest-a.pdf');
    const rows = await allTenants(t.db, (tx) =>
      tx.query<{ control: string; evidence_uri: string; expires_at: Date; reminded_days: number | null }>(
        'select control, evidence_uri, expires_at, reminded_days from evidence_expiries where attestation_id = $1',
        [id],
      ),
    );
    expect(rows).toEqual([
      {
        control: 'security.ssrf',
        evidence_uri: 'https://evidence.acme.example/pentest-a.pdf',
        expires_at: new Date(start.getTime() + 40 * DAY),
        reminded_days: null,
      },
    ]);
  });

  it('places 30, 7 and 1 days before, each exactly once, and a tenant endpoint receives them signed', async () => {
    h.clock.set(start);
    const id = await issue(45, 'https://evidence.acme.example/pentest-b.pdf');
    // The tenant's other attestations may be due meanwhile: what counts is this one's events.
    const after = async (daysLeft: number) => {
      await sweepAt(45, daysLeft);
      return reminders(id);
    };
    expect(await after(31)).toEqual([]);
    expect(await after(30)).toEqual([30]);
    expect(await after(29)).toEqual([30]);
    expect(await after(7)).toEqual([30, 7]);
    expect(await after(7)).toEqual([30, 7]);
    expect(await after(1)).toEqual([30, 7, 1]);
    expect(await after(0.5)).toEqual([30, 7, 1]);

    await h.settleLog();
    // The attempt's webhook-timestamp is the dispatcher's clock, which the reference library checks against the machine's.
    h.clock.set(new Date());
    const deps = {
      db: t.db,
      kek: h.kek,
      now: h.clock,
      publicUrl: h.config.publicUrl,
      send: webhookSender(createPinnedEdge(), { allowLocal: true }),
      retryDelayMs: () => 0,
    };
    for (let i = 0; i < 50 && (await dispatchWebhooks(deps, 'acme')) > 0; i++);
    const mine = receiver.received.filter((r) => (JSON.parse(r.body) as { data: { attestation_id: string } }).data.attestation_id === id);
    expect(mine.map((r) => (verify(secret, r) as { data: { days_left: number } }).data.days_left)).toEqual([30, 7, 1]);
    const first = JSON.parse(mine[0]!.body) as { type: string; timestamp: string; data: Record<string, unknown> };
    expect(first).toEqual({
      type: 'evidence.expiring',
      timestamp: new Date(start.getTime() + 15 * DAY + MINUTE).toISOString(),
      data: {
        attestation_id: id,
        control: 'security.ssrf',
        evidence: 'https://evidence.acme.example/pentest-b.pdf',
        expires_at: new Date(start.getTime() + 45 * DAY).toISOString(),
        days_left: 30,
      },
    });
  });

  it('catches up after an outage with the most urgent reminder only', async () => {
    h.clock.set(start);
    const id = await issue(50, 'https://evidence.acme.example/pentest-c.pdf');
    await sweepAt(50, 5);
    expect(await reminders(id)).toEqual([7]);
    await sweepAt(50, 0.5);
    expect(await reminders(id)).toEqual([7, 1]);
  });

  it('sends none for a revoked or a superseded attestation', async () => {
    h.clock.set(start);
    const revoked = await issue(55, 'https://evidence.acme.example/pentest-d.pdf');
    const res = await h.request('PATCH', `/v1/t/acme/attestations/${revoked}/status`, {
      token: h.adminToken,
      body: { status: 'revoked', reason: 'test' },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const older = await issue(55, 'https://evidence.acme.example/pentest-e.pdf');
    const successor = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt'], supersedes: older },
    });
    expect(successor.status, await successor.clone().text()).toBe(201);
    for (const left of [30, 7, 1]) await sweepAt(55, left);
    expect(await reminders(revoked)).toEqual([]);
    expect(await reminders(older)).toEqual([]);
  });

  it('places a reminder once when two sweeps run at the same time', async () => {
    h.clock.set(start);
    const id = await issue(60, 'https://evidence.acme.example/pentest-f.pdf');
    h.clock.set(new Date(start.getTime() + 30 * DAY + MINUTE));
    const deps = { db: t.db, now: h.clock, notices: { kek: h.kek, publicUrl: h.config.publicUrl, now: h.clock } };
    const errors: unknown[] = [];
    await Promise.all([remindTenant(deps, 'acme'), remindAllTenants(deps, (_, e) => errors.push(e)), remindTenant(deps, 'acme')]);
    expect(errors).toEqual([]);
    expect(await reminders(id)).toEqual([30]);
  });

  it('a server finds reminders falling due on its timer, and at start', async () => {
    h.clock.set(start);
    const id = await issue(65, 'https://evidence.acme.example/pentest-g.pdf');
    h.clock.set(new Date(start.getTime() + 35 * DAY + MINUTE));
    const errors: unknown[] = [];
    const work = startEvidenceReminders(
      { db: t.db, now: h.clock, notices: { kek: h.kek, publicUrl: h.config.publicUrl, now: h.clock } },
      (_, e) => errors.push(e),
      20,
    );
    try {
      await work.sweep();
      await work.settled();
      expect(await reminders(id)).toEqual([30]);
      // Later, with no change committed meanwhile: only the timer can find the next one.
      h.clock.set(new Date(start.getTime() + 58 * DAY + MINUTE));
      await expect.poll(() => reminders(id), { timeout: 5_000 }).toEqual([30, 7]);
    } finally {
      await work.stop();
    }
    expect(errors).toEqual([]);
  });
});
