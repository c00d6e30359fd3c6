import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPinnedEdge } from '../../src/runtime/node/pinned-fetch.ts';
import type { Database, Queryable } from '../../src/store/port.ts';
import { dispatchWebhooks, type WebhookDispatchDeps } from '../../src/use-cases/webhook-dispatch.ts';
import { webhookSender } from '../../src/webhooks/http-sender.ts';
import { allTenants } from '../http/helpers.ts';
import {
  accessToken,
  codeOf,
  credentialRequest,
  expectOAuthError,
  holderKey,
  nonce,
  offer,
  PRE_AUTH,
  proofJwt,
  tenantWithAssessment,
  tokenRequest,
  type HolderKey,
} from '../oid4vci/setup.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { harness, ORIGIN, type Harness } from '../support/harness.ts';
import { Receiver, verify } from './receiver.ts';

/*
 * `offer.redeemed` (docs/webhooks.md, Events): a wallet that obtains a credential through a
 * tenant's OID4VCI offer makes the tenant's endpoints that take the type receive one signed event,
 * placed in the transaction that issues the credential. Driven through the real pre-authorized
 * flow (offer, token, nonce, proof, credential), delivered over the guarded edge to receivers on
 * 127.0.0.1, checked with the Standard Webhooks reference library.
 */

/** The service is served over http here: loopback endpoints are allowed only then (development). */
const PUBLIC_URL = 'http://issuer.test';
const CREDENTIAL_ISSUER = `${PUBLIC_URL}/t/acme`;
const SD_JWT = 'launch_readiness_sd_jwt';

interface Message {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** A handle on `db` that keeps the statements of each transaction, in order. */
function recording(db: Database): { db: Database; transactions: string[][] } {
  const transactions: string[][] = [];
  const wrap = (q: Queryable, into: string[]): Queryable => ({
    query: (text, params) => {
      into.push(text);
      return q.query(text, params);
    },
    exec: (text) => {
      into.push(text);
      return q.exec(text);
    },
  });
  return {
    transactions,
    db: {
      engine: db.engine,
      ...wrap(db, []),
      transaction: (fn) => {
        const statements: string[] = [];
        transactions.push(statements);
        return db.transaction((tx) => fn(wrap(tx, statements)));
      },
      close: () => Promise.resolve(),
    },
  };
}

/** A handle on `db` that dies (every later statement throws) at the first statement matching `at`: a process killed there. */
function dyingAt(db: Database, at: RegExp): Database {
  let dead = false;
  const guard = (text: string) => {
    if (dead || at.test(text)) {
      dead = true;
      throw new Error('process killed');
    }
  };
  const wrap = (q: Queryable): Queryable => ({
    query: async (text, params) => {
      guard(text);
      return q.query(text, params);
    },
    exec: async (text) => {
      guard(text);
      return q.exec(text);
    },
  });
  return {
    engine: db.engine,
    ...wrap(db),
    transaction: (fn) => (dead ? Promise.reject(new Error('process killed')) : db.transaction((tx) => fn(wrap(tx)))),
    close: () => Promise.resolve(),
  };
}

describe.each(engines())('offer.redeemed webhooks, on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  let assessmentId: string;
  let deps: WebhookDispatchDeps;
  const taker = new Receiver();
  const other = new Receiver();

  /** Sequences the log (so attestation.issued is placed too), then delivers until nothing is due. */
  const drain = async () => {
    await h.settleLog();
    for (let i = 0; i < 50 && (await dispatchWebhooks(deps, 'acme')) > 0; i++);
  };
  const register = async (receiver: Receiver, types: string[]) => {
    const res = await h.request('POST', '/v1/t/acme/webhooks', { token: h.adminToken, body: { url: receiver.url, event_types: types } });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as { id: string; secret: string };
  };
  /** What an endpoint was sent, each message checked by the reference library, in the order received. */
  const messages = (receiver: Receiver, secret: string): Message[] => receiver.received.map((r) => verify(secret, r) as Message);
  const proof = async (key: HolderKey, over: Parameters<typeof proofJwt>[3] = {}) =>
    proofJwt(h, key, await nonce(h), { ...over, payload: { aud: CREDENTIAL_ISSUER, ...over.payload } });
  const body = (jwt: string, configuration = SD_JWT) => ({ credential_configuration_id: configuration, proofs: { jwt: [jwt] } });
  /** The outbox's offer.redeemed events for an offer, whatever any endpoint was sent. */
  const placedFor = async (offerId: string) =>
    allTenants(t.db, (tx) =>
      tx.query<{ data: Record<string, unknown> }>(
        "select data from outbox_events where tenant_id = 'acme' and type = 'offer.redeemed' and data->>'offer_id' = $1",
        [offerId],
      ),
    );
  const sdJwtOffer = () => offer(h, { assessment_id: assessmentId, formats: ['dc+sd-jwt'] });

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db, { env: { PUBLIC_URL, WEBHOOKS_ALLOW_LOCAL: 'true' } });
    // Standard Webhooks receivers refuse a timestamp far from their own clock.
    h.clock.set(new Date());
    await taker.start();
    await other.start();
    deps = {
      db: t.db,
      kek: h.kek,
      now: h.clock,
      publicUrl: h.config.publicUrl,
      send: webhookSender(createPinnedEdge(), { allowLocal: true, timeoutMs: 2000 }),
      retryDelayMs: () => 0,
    };
    assessmentId = await tenantWithAssessment(h);
  });
  // Each test starts with no endpoint and empty receivers.
  beforeEach(async () => {
    const { webhooks } = (await (await h.request('GET', '/v1/t/acme/webhooks', { token: h.adminToken })).json()) as {
      webhooks: { id: string }[];
    };
    for (const w of webhooks) await h.request('DELETE', `/v1/t/acme/webhooks/${w.id}`, { token: h.adminToken });
    taker.received.length = 0;
    other.received.length = 0;
  });
  afterAll(async () => {
    await taker.stop();
    await other.stop();
    await h?.sequencing.stop();
    await h?.exports.stop();
    await t?.dispose();
  });

  it('lets a tenant subscribe to offer.redeemed, and lists it in the API reference', async () => {
    const doc = (await (await h.request('GET', '/openapi.json')).json()) as { components: { schemas: Record<string, unknown> } };
    expect(JSON.stringify(doc.components.schemas.CreateWebhook)).toContain('"offer.redeemed"');
    await register(taker, ['offer.redeemed']);
  });

  it('sends one signed offer.redeemed when a wallet obtains the credential, naming the offer, attestation and credential and nothing of the wallet, to the endpoints that take it only', async () => {
    const takes = await register(taker, ['offer.redeemed', 'attestation.issued']);
    const not = await register(other, ['attestation.issued']);
    const o = await sdJwtOffer();
    const token = await accessToken(h, o);
    const res = await credentialRequest(h, token, body(await proof(await holderKey())));
    expect(res.status, await res.clone().text()).toBe(200);
    await drain();

    const got = messages(taker, takes.secret);
    // Placed as the credential commits; the attestation.issued of the same issuance waits for the log's sequencer.
    expect(got.map((m) => m.type)).toEqual(['offer.redeemed', 'attestation.issued']);
    const [redeemed, issued] = got as [Message, Message];
    expect(redeemed.data).toEqual({
      offer_id: o.id,
      attestation_id: issued.data.attestation_id,
      credentials: issued.data.credentials,
      redeemed_at: h.clock().toISOString(),
    });
    expect(redeemed.data.credentials).toEqual([{ id: expect.stringMatching(/^urn:uuid:/), format: 'dc+sd-jwt' }]);
    expect(redeemed.timestamp).toBe(h.clock().toISOString());
    // One message per event: deduplicated by webhook-id, nothing was sent twice.
    expect(new Set(taker.received.map((r) => r.id)).size).toBe(taker.received.length);

    expect(messages(other, not.secret).map((m) => m.type)).toEqual(['attestation.issued']);
  });

  it('sends one offer.redeemed for each configuration a wallet takes of an offer of two, each naming its own attestation', async () => {
    const hook = await register(taker, ['offer.redeemed']);
    const o = await offer(h, { assessment_id: assessmentId, formats: ['dc+sd-jwt', 'jwt_vc_json'] });
    const token = await accessToken(h, o);
    const key = await holderKey();
    expect((await credentialRequest(h, token, body(await proof(key)))).status).toBe(200);
    expect((await credentialRequest(h, token, body(await proof(key), 'launch_readiness_jwt_vc_json'))).status).toBe(200);
    await drain();
    const got = messages(taker, hook.secret);
    expect(got.map((m) => [m.type, m.data.offer_id, (m.data.credentials as { format: string }[]).map((c) => c.format)])).toEqual([
      ['offer.redeemed', o.id, ['dc+sd-jwt']],
      ['offer.redeemed', o.id, ['jwt_vc_json']],
    ]);
    expect(new Set(got.map((m) => m.data.attestation_id)).size).toBe(2);
  });

  it('places nothing for the token exchange alone, a redemption refused (bad proof, spent nonce, configuration not offered) or one repeated', async () => {
    const hook = await register(taker, ['offer.redeemed']);
    const o = await sdJwtOffer();
    const token = await accessToken(h, o);
    // The code is spent by the token exchange: a second exchange is refused.
    await expectOAuthError(
      await tokenRequest(h, { grant_type: PRE_AUTH, 'pre-authorized_code': codeOf(o), tx_code: o.tx_code! }),
      400,
      'invalid_grant',
    );
    const key = await holderKey();
    const stranger = await holderKey();
    await expectOAuthError(
      await credentialRequest(h, token, body(await proof(key, { signWith: stranger.privateKey }))),
      400,
      'invalid_proof',
    );
    const spent = await nonce(h);
    const once = await proofJwt(h, key, spent, { payload: { aud: CREDENTIAL_ISSUER } });
    await expectOAuthError(
      await credentialRequest(h, token, body(once, 'launch_readiness_jwt_vc_json')),
      400,
      'invalid_credential_request',
    );
    // Refused inside the redemption's transaction, which commits the nonce it spent and nothing else.
    await expectOAuthError(await credentialRequest(h, token, body(once)), 400, 'invalid_nonce');
    await drain();
    expect(taker.received).toEqual([]);
    expect(await placedFor(o.id)).toEqual([]);

    expect((await credentialRequest(h, token, body(await proof(key)))).status).toBe(200);
    await expectOAuthError(await credentialRequest(h, token, body(await proof(key))), 400, 'invalid_credential_request');
    await drain();
    expect(messages(taker, hook.secret).map((m) => [m.type, m.data.offer_id])).toEqual([['offer.redeemed', o.id]]);
    expect(await placedFor(o.id)).toHaveLength(1);
  });

  it('places no event for a redemption that dies before it commits; the wallet retries and the tenant hears of it once', async () => {
    const hook = await register(taker, ['offer.redeemed']);
    const o = await sdJwtOffer();
    const token = await accessToken(h, o);
    const key = await holderKey();
    const credentials = async () =>
      (
        await allTenants(t.db, (tx) =>
          tx.query<{ n: number }>('select count(*)::int as n from credentials where assessment_id = $1', [assessmentId]),
        )
      )[0]!.n;
    const before = await credentials();

    // Killed at the event's own row, the last write of the redemption: the credential goes with it.
    const killed = await h.app.fetch(
      new Request(`${ORIGIN}/t/acme/credential`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body(await proof(key))),
      }),
      { ...h.bindings, db: dyingAt(t.db, /\binsert into outbox_events\b/i) },
    );
    expect(killed.status).toBe(500);
    await drain();
    expect(taker.received).toEqual([]);
    expect(await placedFor(o.id)).toEqual([]);
    expect(await credentials()).toBe(before);

    expect((await credentialRequest(h, token, body(await proof(key)))).status).toBe(200);
    await drain();
    expect(messages(taker, hook.secret).map((m) => [m.type, m.data.offer_id])).toEqual([['offer.redeemed', o.id]]);
  });

  it('costs the redemption of a tenant without an endpoint one read: no lock on the outbox, no event', async () => {
    const o = await sdJwtOffer();
    const token = await accessToken(h, o);
    const rec = recording(t.db);
    const res = await h.app.fetch(
      new Request(`${ORIGIN}/t/acme/credential`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body(await proof(await holderKey()))),
      }),
      { ...h.bindings, db: rec.db },
    );
    expect(res.status, await res.clone().text()).toBe(200);
    const redemption = rec.transactions.find((s) => s.some((q) => /\binsert into credentials\b/i.test(q)));
    expect(redemption).toBeDefined();
    expect(redemption!.filter((q) => /\bfrom webhooks\b/i.test(q))).toHaveLength(1);
    expect(redemption!.filter((q) => /pg_advisory_xact_lock|outbox_events/i.test(q))).toEqual([]);
    expect(await placedFor(o.id)).toEqual([]);
  });
});
