import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { issuerIdentity } from '../../src/did/issuer-identity.ts';
import { withTenant } from '../../src/store/tenant-scope.ts';
import { parseEntry } from '../../src/transparency/entries.ts';
import { statusChangedEntry } from '../../src/transparency/events.ts';
import { placeExpiryNotices, placeShareNotices } from '../../src/use-cases/share-notices.ts';
import { noticesOf } from '../../src/webhooks/store.ts';
import { createPinnedEdge } from '../../src/runtime/node/pinned-fetch.ts';
import { dispatchWebhooks, type WebhookDispatchDeps } from '../../src/use-cases/webhook-dispatch.ts';
import { webhookSender } from '../../src/webhooks/http-sender.ts';
import { expectProblem, readinessAssessment } from '../http/helpers.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { echoChallenge, Receiver, verify } from './receiver.ts';

/*
 * Buyers told when a shared attestation changes (docs/webhooks.md, Buyers): from a share link, a
 * buyer subscribes an endpoint (confirmed by a challenge) or polls the share's change feed; each
 * notice is signed with the tenant's published key and checked here with jose against the JWKS
 * the tenant serves, and each message with the Standard Webhooks reference library.
 */

const PUBLIC_URL = 'http://issuer.test';

interface Notice {
  type: string;
  timestamp: string;
  data: {
    attestation_id: string;
    change: string;
    changed_at: string;
    log_index: number;
    reason?: string;
    superseded_by?: string;
    kid?: string;
    notice: string | null;
    subscription?: { id: string; cancel_url: string };
  };
}

interface Feed {
  version: string;
  items: { id: string; title: string; date_published: string; _launchproof: Notice['data'] & { type: string } }[];
  _launchproof: { attestation_id: string; subscribe_url: string };
}

describe.each(engines())('buyers’ notices, on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  let receiver: Receiver;
  let deps: WebhookDispatchDeps;

  const drain = async () => {
    await h.settleLog();
    for (let i = 0; i < 50 && (await dispatchWebhooks(deps, 'acme')) > 0; i++);
  };
  const issue = async (supersedes?: string) => {
    const res = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt'], ...(supersedes ? { supersedes } : {}) },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return ((await res.json()) as { attestation_id: string }).attestation_id;
  };
  const setStatus = async (id: string, status: string, reason = 'test') => {
    const res = await h.request('PATCH', `/v1/t/acme/attestations/${id}/status`, {
      token: h.adminToken,
      body: { status, reason, public_reason: `public ${reason}` },
    });
    expect(res.status, await res.clone().text()).toBe(200);
  };
  const share = async (id: string) => {
    const expires = new Date(h.clock().getTime() + 30 * 86_400_000).toISOString();
    const res = await h.request('POST', `/v1/t/acme/attestations/${id}/shares`, { token: h.adminToken, body: { expires_at: expires } });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as { id: string; token: string };
  };
  const subscribe = (token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
    h.request('POST', `/s/${token}/subscriptions`, { body, headers });
  const relying = async (id: string) =>
    (
      (await (await h.request('GET', `/v1/t/acme/attestations/${id}`, { token: h.adminToken })).json()) as {
        relying_parties: { subscribed: number; named: string[] };
      }
    ).relying_parties;
  const path = (url: string) => url.slice(PUBLIC_URL.length);

  /** A notice's JWS checked with jose against the key the tenant publishes in its JWKS (the kid's fragment names it). */
  const checkNotice = async (jws: string) => {
    const header = decodeProtectedHeader(jws);
    expect(header.typ).toBe('launchproof-notice+jwt');
    const identity = issuerIdentity(new URL(PUBLIC_URL), 'acme');
    expect(header.kid!.startsWith(`${identity.did}#`)).toBe(true);
    const { keys } = (await (await h.request('GET', path(identity.jwksUrl))).json()) as { keys: (JWK & { kid: string })[] };
    const jwk = keys.find((k) => k.kid === header.kid!.split('#')[1]);
    expect(jwk, 'the signing key is in the published JWKS').toBeDefined();
    const { payload } = await compactVerify(jws, await importJWK(jwk!, header.alg));
    const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    expect(claims.iss).toBe(identity.did);
    return claims;
  };

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db, {
      env: { PUBLIC_URL, WEBHOOKS_ALLOW_LOCAL: 'true', VERIFY_RATE_LIMIT_PER_MINUTE: '100000' },
      // The challenge goes out over the real network stack to the receiver on 127.0.0.1.
      fetch: (request) => fetch(request),
    });
    receiver = new Receiver();
    await receiver.start();
    deps = {
      db: t.db,
      kek: h.kek,
      now: h.clock,
      publicUrl: h.config.publicUrl,
      send: webhookSender(createPinnedEdge(), { allowLocal: true, timeoutMs: 2_000 }),
      retryDelayMs: () => 0,
    };
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } })).status).toBe(201);
  });
  beforeEach(() => {
    h.clock.set(new Date());
    receiver.received.length = 0;
    receiver.script = [];
  });
  afterAll(async () => {
    await receiver?.stop();
    await h?.sequencing.stop();
    await h?.exports.stop();
    await t?.dispose();
  });

  it('subscribes from a share link after a signed challenge, sends signed notices of suspension, reinstatement and revocation, and cancels from a notice', async () => {
    const a = await issue();
    const link = await share(a);
    receiver.script = [echoChallenge];
    const res = await subscribe(link.token, { url: receiver.url, party: 'Globex procurement' });
    expect(res.status, await res.clone().text()).toBe(201);
    const sub = (await res.json()) as { id: string; secret: string; cancel_url: string; feed_url: string; attestation_id: string };
    expect(sub.attestation_id).toBe(a);
    expect(sub.secret).toMatch(/^whsec_/);
    // The challenge was signed with the secret the buyer was then given.
    expect(receiver.received).toHaveLength(1);
    const challenge = verify(sub.secret, receiver.received[0]!) as { type: string; data: { subscription_id: string } };
    expect(challenge).toMatchObject({ type: 'subscription.challenge', data: { subscription_id: sub.id } });

    // The tenant sees that a party relies on it, and the name that party gave; not its endpoint.
    expect(await relying(a)).toEqual({ subscribed: 1, named: ['Globex procurement'] });
    const listed = (await (await h.request('GET', '/v1/t/acme/webhooks', { token: h.adminToken })).json()) as { webhooks: unknown[] };
    expect(JSON.stringify(listed)).not.toContain(receiver.url);

    receiver.received.length = 0;
    await setStatus(a, 'suspended');
    await setStatus(a, 'valid');
    await setStatus(a, 'revoked', 'breach');
    await drain();
    const notices = receiver.received.map((r) => verify(sub.secret, r) as Notice);
    expect(notices.map((n) => n.type)).toEqual(['notice.suspended', 'notice.reinstated', 'notice.revoked']);
    for (const n of notices) {
      expect(n.data.attestation_id).toBe(a);
      expect(n.data.subscription!.id).toBe(sub.id);
      // The notice is the tenant's signed word, checkable without trusting the transport.
      const claims = await checkNotice(n.data.notice!);
      expect(claims).toMatchObject({ attestation_id: a, change: n.data.change, log_index: n.data.log_index });
    }
    expect(notices[2]!.data.reason).toBe('public breach');
    const indexes = notices.map((n) => n.data.log_index);
    expect([...indexes].sort((x, y) => x - y)).toEqual(indexes);

    // Cancelled from the notice itself: a wrong token is refused and changes nothing, the right one cancels.
    const cancel = new URL(notices[2]!.data.subscription!.cancel_url);
    expect(cancel.href).toBe(sub.cancel_url);
    await expectProblem(await h.request('POST', `${cancel.pathname}?token=${'A'.repeat(43)}`), 404, 'subscription_not_found');
    expect((await relying(a)).subscribed).toBe(1);
    const done = await h.request('POST', `${cancel.pathname}${cancel.search}`);
    expect(done.status, await done.clone().text()).toBe(200);
    expect(await done.json()).toEqual({ id: sub.id, state: 'cancelled' });
    expect((await h.request('POST', `${cancel.pathname}${cancel.search}`)).status).toBe(200);
    expect(await relying(a)).toEqual({ subscribed: 0, named: [] });
  });

  it('tells a subscription of a successor, nothing once cancelled, and the feed of the revocation of the key that signed it', async () => {
    const a = await issue();
    const link = await share(a);
    receiver.script = [echoChallenge];
    const sub = (await (await subscribe(link.token, { url: receiver.url })).json()) as { id: string; secret: string; cancel_url: string };
    expect(await relying(a)).toEqual({ subscribed: 1, named: [] });
    receiver.received.length = 0;

    const b = await issue(a);
    await drain();
    const notices = receiver.received.map((r) => verify(sub.secret, r) as Notice);
    expect(notices.map((n) => n.type)).toEqual(['notice.superseded']);
    expect(notices[0]!.data.superseded_by).toBe(b);
    await checkNotice(notices[0]!.data.notice!);

    const cancel = new URL(sub.cancel_url);
    expect((await h.request('POST', `${cancel.pathname}${cancel.search}`)).status).toBe(200);
    receiver.received.length = 0;
    const kid = ((await (await h.request('GET', `/v1/t/acme/attestations/${a}`, { token: h.adminToken })).json()) as { kid: string }).kid;
    const rotated = await h.request('POST', '/v1/t/acme/keys/rotate', { token: h.adminToken });
    expect(rotated.status, await rotated.clone().text()).toBe(200);
    const revoked = await h.request('POST', `/v1/t/acme/keys/${kid}/revoke`, { token: h.adminToken, body: { reason: 'key compromise' } });
    expect(revoked.status, await revoked.clone().text()).toBe(200);
    await drain();
    expect(receiver.received).toHaveLength(0);

    // Revoking a key revokes what it signed: the feed tells both, the key's revocation first,
    // signed by the key that replaced it.
    const feed = (await (await h.request('GET', `/s/${link.token}/feed.json`)).json()) as Feed;
    const items = [...feed.items].reverse();
    expect(items.map((i) => i._launchproof.type)).toEqual(['notice.superseded', 'notice.key_revoked', 'notice.revoked']);
    expect(items[1]!._launchproof.kid).toBe(kid);
    expect(items[1]!._launchproof.reason).toBe('key compromise');
    const header = decodeProtectedHeader(items[1]!._launchproof.notice!);
    expect(header.kid!.endsWith(`#${kid}`)).toBe(false);
    await checkNotice(items[1]!._launchproof.notice!);
  });

  it('stores nothing when the endpoint does not answer the challenge, refuses unsafe endpoints, and limits how often a link may try', async () => {
    const a = await issue();
    const link = await share(a);
    receiver.script = [(res) => void res.writeHead(204).end()];
    await expectProblem(await subscribe(link.token, { url: receiver.url }), 422, 'subscription_not_confirmed');
    receiver.script = [(res) => void res.writeHead(500).end()];
    await expectProblem(await subscribe(link.token, { url: receiver.url }), 422, 'subscription_not_confirmed');
    // Whoever holds the link learns nothing of what the service resolves: a name that does not
    // resolve and a port nobody listens on fail alike.
    const unknownName = await expectProblem(
      await subscribe(link.token, { url: 'https://no-such-host.launchproof.dev/hook' }),
      422,
      'subscription_not_confirmed',
    );
    const idle = new Receiver();
    await idle.start();
    await idle.stop();
    const closedPort = await expectProblem(await subscribe(link.token, { url: idle.url }), 422, 'subscription_not_confirmed');
    expect(unknownName.detail).toBe(closedPort.detail);
    // A private address is refused before any connection, even with local development allowed.
    await expectProblem(await subscribe(link.token, { url: 'http://10.1.2.3/hook' }), 400, 'unsafe_webhook_url');
    expect(await relying(a)).toEqual({ subscribed: 0, named: [] });
    // Unknown and malformed links, and bodies that are not the shape asked for.
    await expectProblem(await subscribe('A'.repeat(43), { url: receiver.url }), 404, 'share_not_found');
    await expectProblem(await subscribe(link.token, { url: receiver.url, extra: 1 }), 400, 'invalid_request');
    // Five tries per link in ten minutes (four were spent above, the unsafe URL one too): the sixth is refused.
    const limited = await subscribe(link.token, { url: receiver.url });
    await expectProblem(limited, 429, 'rate_limited');
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('serves each share’s change feed: the notices placed while it was shared, signed, with an ETag that changes only with them; a withdrawn link ends both', async () => {
    const a = await issue();
    // A change before any share link exists is no buyer's notice.
    await setStatus(a, 'suspended');
    await h.settleLog();
    const link = await share(a);
    const feedPath = `/s/${link.token}/feed.json`;
    // The share page tells the buyer both ways to hear of a change.
    const page = await (await h.request('GET', `/s/${link.token}`)).text();
    expect(page).toContain(`href="${PUBLIC_URL}${feedPath}"`);
    expect(page).toContain(`curl -X POST ${PUBLIC_URL}/s/${link.token}/subscriptions \\`);
    let res = await h.request('GET', feedPath);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/feed+json');
    expect(res.headers.get('cache-control')).toBe('private, no-cache');
    const empty = (await res.json()) as Feed;
    expect(empty.version).toBe('https://jsonfeed.org/version/1.1');
    expect(empty.items).toEqual([]);
    expect(empty._launchproof).toMatchObject({ attestation_id: a, subscribe_url: `${PUBLIC_URL}/s/${link.token}/subscriptions` });
    const etag = res.headers.get('etag')!;
    expect((await h.request('GET', feedPath, { headers: { 'if-none-match': etag } })).status).toBe(304);

    await setStatus(a, 'valid');
    await h.settleLog();
    res = await h.request('GET', feedPath, { headers: { 'if-none-match': etag } });
    expect(res.status).toBe(200);
    const etag2 = res.headers.get('etag')!;
    expect(etag2).not.toBe(etag);
    const feed = (await res.json()) as Feed;
    expect(feed.items.map((i) => i._launchproof.type)).toEqual(['notice.reinstated']);
    const claims = await checkNotice(feed.items[0]!._launchproof.notice!);
    expect(claims).toMatchObject({ jti: feed.items[0]!.id, attestation_id: a, change: 'reinstated' });
    // The same bytes on the next poll.
    const again = await h.request('GET', feedPath);
    expect(again.headers.get('etag')).toBe(etag2);

    // A withdrawn link's feed is gone, and so is subscribing through it; a subscription made
    // through it hears nothing more, and no longer counts as relying.
    receiver.script = [echoChallenge];
    expect((await subscribe(link.token, { url: receiver.url })).status).toBe(201);
    expect((await relying(a)).subscribed).toBe(1);
    const withdrawn = await h.request('DELETE', `/v1/t/acme/attestations/${a}/shares/${link.id}`, { token: h.adminToken });
    expect(withdrawn.status, await withdrawn.clone().text()).toBe(200);
    expect((await relying(a)).subscribed).toBe(0);
    receiver.received.length = 0;
    await setStatus(a, 'suspended');
    await drain();
    expect(receiver.received).toHaveLength(0);
    await expectProblem(await h.request('GET', feedPath), 410, 'share_gone');
    await expectProblem(await subscribe(link.token, { url: receiver.url }), 410, 'share_gone');
    await expectProblem(await h.request('GET', `/s/${'B'.repeat(43)}/feed.json`), 404, 'share_not_found');
  });

  it('keeps a buyer’s endpoint out of the tenant’s audit trail when failing for 3 days disables it', async () => {
    const a = await issue();
    const link = await share(a);
    receiver.script = [echoChallenge];
    const sub = (await (await subscribe(link.token, { url: receiver.url })).json()) as { id: string };
    receiver.script = Array.from({ length: 60 }, () => (res) => void res.writeHead(500).end());
    await setStatus(a, 'suspended');
    await drain();
    h.clock.advanceDays(4);
    await drain();
    receiver.script = [];
    const rows = await withTenant(t.db, 'acme', (tx) =>
      tx.query<{ action: string; detail: unknown }>(
        "select action, detail from audit_events where tenant_id = 'acme' and target in ($1, $2)",
        [sub.id, a],
      ),
    );
    expect(rows.map((r) => r.action)).toContain('subscription.disabled');
    expect(JSON.stringify(rows)).not.toContain(receiver.url);
    expect(JSON.stringify(rows)).not.toContain('127.0.0.1');
  });

  it('still delivers the notice of a change made while the link was open after the link is withdrawn', async () => {
    const a = await issue();
    const link = await share(a);
    receiver.script = [echoChallenge];
    const sub = (await (await subscribe(link.token, { url: receiver.url })).json()) as { secret: string };
    // The buyer's endpoint is down when the attestation is revoked, and the vendor then withdraws the link.
    receiver.script = Array.from({ length: 60 }, () => (res) => void res.writeHead(503).end());
    await setStatus(a, 'revoked');
    await drain();
    receiver.script = [];
    h.clock.set(new Date(h.clock().getTime() + 1_000));
    expect((await h.request('DELETE', `/v1/t/acme/attestations/${a}/shares/${link.id}`, { token: h.adminToken })).status).toBe(200);
    receiver.received.length = 0;
    await drain();
    const delivered = receiver.received.map((r) => verify(sub.secret, r) as Notice);
    expect(delivered.map((n) => n.type)).toEqual(['notice.revoked']);
  });

  it('places a notice unsigned, and goes on sequencing the log, when the tenant’s key cannot be opened', async () => {
    const a = await issue();
    await share(a);
    await h.settleLog();
    // A key the KEK cannot open (its sealed bytes damaged), made active and never used yet.
    const rotated = (await (await h.request('POST', '/v1/t/acme/keys/rotate', { token: h.adminToken })).json()) as { active: string };
    await withTenant(t.db, 'acme', (tx) =>
      tx.query("update signing_keys set private_jwk_enc = 'AAAA' || private_jwk_enc where tenant_id = 'acme' and kid = $1", [
        rotated.active,
      ]),
    );
    try {
      const entry = statusChangedEntry('acme', { attestationId: a, from: 'valid', to: 'suspended', at: h.clock() });
      await withTenant(t.db, 'acme', (tx) =>
        placeShareNotices({ kek: h.kek, publicUrl: h.config.publicUrl, now: h.clock }, tx, 'acme', 10_000, [
          parseEntry(new TextEncoder().encode(entry.body)),
        ]),
      );
      const [placed] = await withTenant(t.db, 'acme', (tx) => noticesOf(tx, 'acme', a, { newest: 1 }));
      expect(placed).toMatchObject({ type: 'notice.suspended', notice: null });
    } finally {
      // A sound key for what follows.
      expect((await h.request('POST', '/v1/t/acme/keys/rotate', { token: h.adminToken })).status).toBe(200);
    }
  });

  it('refuses a party name holding control or bidirectional-override characters', async () => {
    const a = await issue();
    const link = await share(a);
    for (const party of ['Globex\u202eevil', 'Globex\u0007', 'Globex\u2066x']) {
      const problem = await expectProblem(await subscribe(link.token, { url: receiver.url, party }), 400, 'invalid_request');
      expect(problem.errors?.map((e) => e.pointer)).toEqual(['/party']);
    }
    expect(receiver.received).toHaveLength(0);
  });

  it('holds a share link to 20 live subscriptions even when the last two are confirmed at once', async () => {
    const a = await issue();
    const link = await share(a);
    for (let i = 0; i < 19; i++) {
      // Past the per-link rate limit's window every fifth try.
      if (i % 5 === 0) h.clock.set(new Date(h.clock().getTime() + 11 * 60_000));
      receiver.script = [echoChallenge];
      expect((await subscribe(link.token, { url: receiver.url })).status).toBe(201);
    }
    h.clock.set(new Date(h.clock().getTime() + 11 * 60_000));
    receiver.script = [echoChallenge, echoChallenge];
    const both = await Promise.all([subscribe(link.token, { url: receiver.url }), subscribe(link.token, { url: receiver.url })]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    expect((await relying(a)).subscribed).toBe(20);
  });

  it('tells a subscription 30, 7 and 1 days before the shared attestation ends, once each, and the most urgent alone after a gap', async () => {
    const DAY = 86_400_000;
    const start = h.clock();
    const validUntil = new Date(start.getTime() + 40 * DAY);
    const issued = await h.request('POST', '/v1/t/acme/attestations', {
      token: h.adminToken,
      body: { assessment: readinessAssessment(), formats: ['vc+jwt'], valid_until: validUntil.toISOString() },
    });
    expect(issued.status, await issued.clone().text()).toBe(201);
    const a = ((await issued.json()) as { attestation_id: string }).attestation_id;
    const expires = new Date(start.getTime() + 60 * DAY).toISOString();
    const link = (await (
      await h.request('POST', `/v1/t/acme/attestations/${a}/shares`, { token: h.adminToken, body: { expires_at: expires } })
    ).json()) as { token: string };
    receiver.script = [echoChallenge];
    const sub = (await (await subscribe(link.token, { url: receiver.url })).json()) as { secret: string };
    receiver.received.length = 0;
    const sweepAt = async (daysLeft: number) => {
      h.clock.set(new Date(validUntil.getTime() - daysLeft * DAY + 60_000));
      const placed = await placeExpiryNotices({ kek: h.kek, publicUrl: h.config.publicUrl, now: h.clock }, t.db, 'acme');
      // Delivered on the machine's clock, which the reference library checks webhook-timestamp against.
      h.clock.set(new Date());
      await drain();
      return placed;
    };
    expect(await sweepAt(35)).toBe(0);
    expect(await sweepAt(30)).toBe(1);
    expect(await sweepAt(29)).toBe(0);
    // The sweep was down from 29 days to 1 day left: the 1-day notice alone.
    expect(await sweepAt(1)).toBe(1);
    expect(await sweepAt(1)).toBe(0);
    const notices = receiver.received.map((r) => verify(sub.secret, r) as Notice & { data: { days_left: number; valid_until: string } });
    expect(notices.map((n) => [n.type, n.data.days_left])).toEqual([
      ['notice.expiring', 30],
      ['notice.expiring', 1],
    ]);
    expect(notices[0]!.data.valid_until).toBe(validUntil.toISOString());
    const claims = await checkNotice(notices[1]!.data.notice!);
    expect(claims).toMatchObject({ attestation_id: a, change: 'expiring', days_left: 1 });
    const feed = (await (await h.request('GET', `/s/${link.token}/feed.json`)).json()) as Feed;
    expect(feed.items.map((i) => i._launchproof.type)).toEqual(['notice.expiring', 'notice.expiring']);
  });
});
