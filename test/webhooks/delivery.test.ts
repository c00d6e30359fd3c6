import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPinnedEdge } from '../../src/runtime/node/pinned-fetch.ts';
import { dispatchWebhooks, type WebhookDispatchDeps } from '../../src/use-cases/webhook-dispatch.ts';
import { webhookSender } from '../../src/webhooks/http-sender.ts';
import { leaseDueWebhooks } from '../../src/webhooks/store.ts';
import { allTenants, readinessAssessment } from '../http/helpers.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { Webhook } from 'standardwebhooks';
import { Receiver, verify, type Received } from './receiver.ts';

/*
 * Tenant webhooks end to end (docs/webhooks.md): events placed by the log's sequencer, signed per
 * Standard Webhooks and checked by its reference library, delivered over the real guarded edge
 * to a receiver on 127.0.0.1 (allowed only by the development setting), in order, at least once,
 * through failures, timeouts and slow answers, with every attempt in the delivery log.
 */

const fail = (status: number) => (res: ServerResponse) =>
  void res.writeHead(status, { 'content-type': 'text/plain' }).end(`no ${'!'.repeat(600)}`);
/** Answers after the sender's deadline has passed. */
const hang = (ms: number) => (res: ServerResponse) => void setTimeout(() => res.writeHead(200).end(), ms);

describe.each(engines())('tenant webhooks, on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  let receiver: Receiver;
  let deps: WebhookDispatchDeps;

  const TIMEOUT_MS = 600;

  /** Runs the dispatcher until nothing is due now (each retry is due at once: the test's pause is 0). */
  const drain = async () => {
    await h.settleLog();
    for (let i = 0; i < 50 && (await dispatchWebhooks(deps, 'acme')) > 0; i++);
  };
  const issue = async () => {
    const res = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt'] },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { attestation_id: string }).attestation_id;
  };
  const setStatus = async (id: string, status: string) => {
    const res = await h.request('PATCH', `/v1/t/acme/attestations/${id}/status`, { token: h.adminToken, body: { status, reason: 'test' } });
    expect(res.status, await res.clone().text()).toBe(200);
  };
  const register = async (types: string[]) => {
    const res = await h.request('POST', '/v1/t/acme/webhooks', { token: h.adminToken, body: { url: receiver.url, event_types: types } });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as { id: string; secret: string; next_position: number };
  };

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db, { env: { PUBLIC_URL: 'http://issuer.test', WEBHOOKS_ALLOW_LOCAL: 'true' } });
    receiver = new Receiver();
    await receiver.start();
    deps = {
      db: t.db,
      kek: h.kek,
      now: h.clock,
      send: webhookSender(createPinnedEdge(), { allowLocal: true, timeoutMs: TIMEOUT_MS }),
      retryDelayMs: () => 0,
    };
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
  });
  // Each test starts with no endpoint: one a failed test left behind would send to the receiver too.
  beforeEach(async () => {
    const { webhooks } = (await (await h.request('GET', '/v1/t/acme/webhooks', { token: h.adminToken })).json()) as {
      webhooks: { id: string }[];
    };
    for (const w of webhooks) await h.request('DELETE', `/v1/t/acme/webhooks/${w.id}`, { token: h.adminToken });
  });
  afterAll(async () => {
    await receiver?.stop();
    await h?.sequencing.stop();
    await h?.exports.stop();
    await t?.dispose();
  });

  it('delivers each event once, in log order, signed so the reference library accepts it, through failures, a timeout and a slow answer', async () => {
    h.clock.set(new Date());
    const hook = await register(['attestation.issued', 'attestation.status_changed']);
    receiver.received.length = 0;
    const a = await issue();
    await setStatus(a, 'suspended');
    await setStatus(a, 'valid');
    await setStatus(a, 'revoked');
    // The first event: refused twice, then no answer within the deadline, then a slow answer in time.
    receiver.script = [
      fail(500),
      fail(503),
      hang(TIMEOUT_MS * 3),
      (res) => void setTimeout(() => res.writeHead(200).end(), TIMEOUT_MS / 3),
    ];
    await drain();

    const byId = new Map<string, { type: string; data: { attestation_id: string; log_index: number; to?: string } }>();
    for (const r of receiver.received) {
      const message = verify(hook.secret, r) as { type: string; data: { attestation_id: string; log_index: number; to?: string } };
      byId.set(r.id, message);
    }
    // Four attempts at the first event, one for each later one; four events once deduplicated by webhook-id.
    expect(receiver.received).toHaveLength(7);
    const events = [...byId.values()];
    expect(events.map((e) => e.type)).toEqual([
      'attestation.issued',
      'attestation.status_changed',
      'attestation.status_changed',
      'attestation.status_changed',
    ]);
    expect(events.map((e) => e.data.to ?? null)).toEqual([null, 'suspended', 'valid', 'revoked']);
    expect(events.every((e) => e.data.attestation_id === a)).toBe(true);
    const indexes = events.map((e) => e.data.log_index);
    expect([...indexes].sort((x, y) => x - y)).toEqual(indexes);
    // Every attempt at an event carries the same id and the same bytes.
    const first = receiver.received.filter((r) => r.id === receiver.received[0]!.id);
    expect(first).toHaveLength(4);
    expect(new Set(first.map((r) => r.body)).size).toBe(1);

    const log = await h.request('GET', `/v1/t/acme/webhooks/${hook.id}/deliveries`, { token: h.adminToken });
    expect(log.status).toBe(200);
    const { deliveries } = (await log.json()) as {
      deliveries: {
        event_type: string;
        position: number;
        attempt: number;
        outcome: string;
        status: number | null;
        error: string | null;
        response_excerpt: string | null;
        latency_ms: number;
      }[];
    };
    const ofFirst = deliveries.filter((d) => d.event_type === 'attestation.issued').sort((x, y) => x.attempt - y.attempt);
    expect(ofFirst.map((d) => [d.attempt, d.outcome, d.status])).toEqual([
      [1, 'failed', 500],
      [2, 'failed', 503],
      [3, 'failed', null],
      [4, 'delivered', 200],
    ]);
    expect(ofFirst[2]!.error).toMatch(/^timeout/);
    // A short excerpt of what the endpoint answered, never its whole body.
    expect(ofFirst[0]!.response_excerpt!.length).toBeLessThanOrEqual(256);
    expect(ofFirst[0]!.response_excerpt).toMatch(/^no !+/);
    expect(deliveries.filter((d) => d.outcome === 'delivered')).toHaveLength(4);

    const state = (await (await h.request('GET', `/v1/t/acme/webhooks/${hook.id}`, { token: h.adminToken })).json()) as {
      state: string;
      failed_attempts: number;
      next_position: number;
    };
    // Past the last event delivered (events of types it does not take are passed over, not sent).
    const lastDelivered = Math.max(...deliveries.filter((d) => d.outcome === 'delivered').map((d) => d.position));
    expect(state).toMatchObject({ state: 'active', failed_attempts: 0, next_position: lastDelivered + 1 });
    await h.request('DELETE', `/v1/t/acme/webhooks/${hook.id}`, { token: h.adminToken });
  });

  it('holds later events behind a failing one, disables the endpoint after 3 days of failures, and replays from where it stopped', async () => {
    h.clock.set(new Date());
    const hook = await register(['attestation.issued']);
    receiver.received.length = 0;
    await issue();
    await issue();
    receiver.script = [fail(500)];
    await h.settleLog();
    expect(await dispatchWebhooks({ ...deps, retryDelayMs: () => 60_000 }, 'acme')).toBe(1);
    // Nothing else is sent while the first event waits for its retry.
    expect(await dispatchWebhooks(deps, 'acme')).toBe(0);
    expect(receiver.received).toHaveLength(1);

    receiver.script = [fail(502)];
    h.clock.advanceDays(3.01);
    expect(await dispatchWebhooks(deps, 'acme')).toBe(1);
    const disabled = (await (await h.request('GET', `/v1/t/acme/webhooks/${hook.id}`, { token: h.adminToken })).json()) as {
      state: string;
      disabled_reason: string;
    };
    expect(disabled.state).toBe('disabled');
    expect(disabled.disabled_reason).toMatch(/HTTP 502/);
    const audited = await allTenants(t.db, (tx) =>
      tx.query<{ action: string }>(`select action from audit_events where tenant_id = 'acme' and target = $1 order by at`, [hook.id]),
    );
    expect(audited.map((a) => a.action)).toEqual(['webhook.created', 'webhook.disabled']);
    expect(await dispatchWebhooks(deps, 'acme')).toBe(0);

    const replayed = await h.request('POST', `/v1/t/acme/webhooks/${hook.id}/replay`, { token: h.adminToken, body: {} });
    expect(replayed.status, await replayed.clone().text()).toBe(200);
    expect(((await replayed.json()) as { state: string }).state).toBe('active');
    await drain();
    const ids = receiver.received.map((r) => r.id);
    // The failed event twice more (its 2 failures, then delivered), then the next one: 2 events, in order.
    expect(new Set(ids).size).toBe(2);
    expect(ids[ids.length - 1]).not.toBe(ids[0]);
    await h.request('DELETE', `/v1/t/acme/webhooks/${hook.id}`, { token: h.adminToken });
  });

  it('signs with both secrets while a rotation overlaps, and with the new one alone after', async () => {
    h.clock.set(new Date());
    const hook = await register(['attestation.issued']);
    receiver.received.length = 0;
    const rotated = await h.request('POST', `/v1/t/acme/webhooks/${hook.id}/secret`, {
      token: h.adminToken,
      body: { overlap_seconds: 60 },
    });
    expect(rotated.status).toBe(200);
    const { secret, previous_secret_until } = (await rotated.json()) as { secret: string; previous_secret_until: string };
    expect(secret).not.toBe(hook.secret);
    expect(Date.parse(previous_secret_until)).toBe(h.clock().getTime() + 60_000);
    await issue();
    await drain();
    h.clock.set(new Date(Date.parse(previous_secret_until) + 1000));
    await issue();
    await drain();
    expect(receiver.received).toHaveLength(2);
    const [during, after] = receiver.received as [Received, Received];
    // Each signature as the reference library computes it for that secret, id, instant and body.
    const expected = (s: string, r: Received) => new Webhook(s).sign(r.id, new Date(Number(r.timestamp) * 1000), r.body);
    expect(during.signature.split(' ').sort()).toEqual([expected(secret, during), expected(hook.secret, during)].sort());
    expect(after.signature).toBe(expected(secret, after));
    expect(() => verify(hook.secret, after)).toThrow();
    expect(verify(secret, after)).toMatchObject({ type: 'attestation.issued' });
    await h.request('DELETE', `/v1/t/acme/webhooks/${hook.id}`, { token: h.adminToken });
  });

  it('keeps placing events while the only endpoint is disabled, so a replay sends what happened meanwhile', async () => {
    h.clock.set(new Date());
    const hook = await register(['attestation.issued']);
    receiver.received.length = 0;
    await issue();
    receiver.script = [fail(500), fail(500)];
    await h.settleLog();
    expect(await dispatchWebhooks({ ...deps, retryDelayMs: () => 60_000 }, 'acme')).toBe(1);
    h.clock.advanceDays(3.01);
    expect(await dispatchWebhooks(deps, 'acme')).toBe(1);
    const during = await issue();
    await h.settleLog();
    expect((await h.request('POST', `/v1/t/acme/webhooks/${hook.id}/replay`, { token: h.adminToken, body: {} })).status).toBe(200);
    await drain();
    // The clock moved 3 days past the receiver's, so its timestamp window would refuse these: the
    // signatures were checked in the tests above; here what matters is which events came.
    const delivered = receiver.received
      .slice(2)
      .map((r) => (JSON.parse(r.body) as { data: { attestation_id: string } }).data.attestation_id);
    expect(delivered).toHaveLength(2);
    expect(delivered[1]).toBe(during);
    await h.request('DELETE', `/v1/t/acme/webhooks/${hook.id}`, { token: h.adminToken });
  });

  it('records an answer holding a NUL character (cut to an excerpt without it) and moves on', async () => {
    h.clock.set(new Date());
    const hook = await register(['attestation.issued']);
    receiver.received.length = 0;
    receiver.script = [(res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\u0000done')];
    await issue();
    await drain();
    expect(receiver.received).toHaveLength(1);
    const log = (await (await h.request('GET', `/v1/t/acme/webhooks/${hook.id}/deliveries`, { token: h.adminToken })).json()) as {
      deliveries: { outcome: string; response_excerpt: string }[];
    };
    expect(log.deliveries).toHaveLength(1);
    expect(log.deliveries[0]).toMatchObject({ outcome: 'delivered', response_excerpt: 'ok\ufffddone' });
    await h.request('DELETE', `/v1/t/acme/webhooks/${hook.id}`, { token: h.adminToken });
  });

  it('lets no second dispatcher send to an endpoint a replay rewinds while the first still holds it', async () => {
    h.clock.set(new Date());
    const hook = await register(['attestation.issued']);
    receiver.received.length = 0;
    await issue();
    await h.settleLog();
    let concurrent = 0;
    let most = 0;
    receiver.script = [
      (res) => {
        concurrent++;
        most = Math.max(most, concurrent);
        setTimeout(() => {
          concurrent--;
          res.writeHead(204).end();
        }, 300);
      },
      (res) => {
        concurrent++;
        most = Math.max(most, concurrent);
        concurrent--;
        res.writeHead(204).end();
      },
    ];
    const first = dispatchWebhooks(deps, 'acme');
    await new Promise((r) => setTimeout(r, 100));
    expect((await h.request('POST', `/v1/t/acme/webhooks/${hook.id}/replay`, { token: h.adminToken, body: {} })).status).toBe(200);
    const second = await dispatchWebhooks(deps, 'acme');
    await first;
    expect(second).toBe(0);
    expect(most).toBe(1);
    await h.request('DELETE', `/v1/t/acme/webhooks/${hook.id}`, { token: h.adminToken });
  });

  it('sends again what a dispatcher that died mid-send held, once its lease runs out, and never before', async () => {
    h.clock.set(new Date());
    const hook = await register(['attestation.issued']);
    receiver.received.length = 0;
    await issue();
    await h.settleLog();
    // A dispatcher takes the endpoint and dies before recording anything (as kill -9 would leave it).
    const taken = await allTenants(t.db, (tx) => leaseDueWebhooks(tx, 'acme', h.clock(), 60_000));
    expect(taken.map((w) => w.id)).toEqual([hook.id]);
    expect(await dispatchWebhooks(deps, 'acme')).toBe(0);
    h.clock.set(new Date(h.clock().getTime() + 59_000));
    expect(await dispatchWebhooks(deps, 'acme')).toBe(0);
    h.clock.set(new Date(h.clock().getTime() + 1_000));
    expect(await dispatchWebhooks(deps, 'acme')).toBe(1);
    expect(receiver.received).toHaveLength(1);
    const state = (await (await h.request('GET', `/v1/t/acme/webhooks/${hook.id}`, { token: h.adminToken })).json()) as {
      failed_attempts: number;
      next_position: number;
    };
    expect(state.failed_attempts).toBe(0);
    await h.request('DELETE', `/v1/t/acme/webhooks/${hook.id}`, { token: h.adminToken });
  });

  it('refuses endpoints that are not https on a public address (loopback http aside, in development), with a problem naming it', async () => {
    for (const url of [
      'http://hooks.example.com/x',
      'https://10.0.0.8/x',
      'https://192.168.1.1/x',
      'https://169.254.169.254/latest/meta-data',
      'https://[fc00::1]/x',
      'https://[::ffff:10.0.0.1]/x',
      'https://user:pw@hooks.example.com/x',
      'https://hooks.internal/x',
      'ftp://hooks.example.com/x',
      'not a url',
      `https://hooks.example.com/${'é'.repeat(1000)}`,
    ]) {
      const res = await h.request('POST', '/v1/t/acme/webhooks', { token: h.adminToken, body: { url, event_types: ['key.revoked'] } });
      expect(res.status, url).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(((await res.json()) as { code: string }).code, url).toBe('unsafe_webhook_url');
    }
    const list = (await (await h.request('GET', '/v1/t/acme/webhooks', { token: h.adminToken })).json()) as { webhooks: { url: string }[] };
    expect(list.webhooks.every((w) => w.url.startsWith(receiver.url))).toBe(true);
  });
});
