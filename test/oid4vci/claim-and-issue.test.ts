/**
 * Issue 11, defect 8: the credential endpoint claimed a configuration in one transaction and
 * issued in another, so a process killed in between left the configuration spent with nothing
 * issued (4 of 8 kill -9 runs). A kill -9 is modelled here by a database handle that dies at the
 * first statement of issuance: from then on it answers nothing, not even the compensation a
 * living process would run. The wallet then retries against a healthy process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricEvent } from '../../src/metrics/port.ts';
import type { Database, Queryable } from '../../src/store/port.ts';
import { engines, type TestDatabase } from '../support/databases.ts';
import { ORIGIN, harness, type Harness } from '../support/harness.ts';
import { allTenants } from '../http/helpers.ts';
import { accessToken, credentialRequest, expectOAuthError, holderKey, nonce, offer, proofJwt, tenantWithAssessment } from './setup.ts';

/** A handle on `db` that dies (every later statement throws) when a statement matches `at`. */
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
    transaction: (fn) => {
      if (dead) return Promise.reject(new Error('process killed'));
      return db.transaction((tx) => fn(wrap(tx)));
    },
    close: () => Promise.resolve(),
  };
}

describe.each(engines())('OID4VCI claim and issue on $engine', ({ open }) => {
  let t: TestDatabase;
  let h: Harness;
  let assessmentId: string;
  const events: MetricEvent[] = [];
  const issuedEvents = () => events.filter((e) => e.kind === 'issued');

  beforeAll(async () => {
    t = await open();
    h = await harness(t.db, { metrics: { record: (e) => events.push(e) } });
    assessmentId = await tenantWithAssessment(h);
  });
  afterAll(() => t.dispose());

  const body = (jwt: string) => ({ credential_configuration_id: 'launch_readiness_sd_jwt', proofs: { jwt: [jwt] } });
  const issuedFor = async (offerId: string) =>
    allTenants(t.db, (tx) =>
      tx.query<{ n: number }>(
        `select count(*)::int as n from credentials c join oid4vci_offers o on o.assessment_id = c.assessment_id where o.id = $1`,
        [offerId],
      ),
    );

  it('a process killed between claiming a configuration and issuing it leaves the offer whole: the wallet retries and gets its credential', async () => {
    const o = await offer(h, { assessment_id: assessmentId, formats: ['dc+sd-jwt'] });
    const token = await accessToken(h, o);
    const key = await holderKey();
    const before = (await issuedFor(o.id))[0]!.n;

    // Dies at the statement that stores the credentials (with the attestation, in one statement).
    const dying = dyingAt(t.db, /\binsert into credentials\b/i);
    const killed = await h.app.fetch(
      new Request(`${ORIGIN}/t/acme/credential`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body(await proofJwt(h, key, await nonce(h)))),
      }),
      { ...h.bindings, db: dying },
    );
    expect(killed.status).toBe(500);
    const counted = issuedEvents().length;

    const retry = await credentialRequest(h, token, body(await proofJwt(h, key, await nonce(h))));
    expect(retry.status, await retry.clone().text()).toBe(200);
    expect((await issuedFor(o.id))[0]!.n).toBe(before + 1);
    // What was issued is counted once, and what was not is not counted at all.
    expect(issuedEvents().slice(counted)).toEqual([{ kind: 'issued', format: 'dc+sd-jwt', tenant: 'acme' }]);
  });

  it('issues a configuration once, even to two requests racing with two nonces', async () => {
    const o = await offer(h, { assessment_id: assessmentId, formats: ['dc+sd-jwt'] });
    const token = await accessToken(h, o);
    const key = await holderKey();
    const before = (await issuedFor(o.id))[0]!.n;
    const [a, b] = await Promise.all([
      proofJwt(h, key, await nonce(h)).then((jwt) => credentialRequest(h, token, body(jwt))),
      proofJwt(h, key, await nonce(h)).then((jwt) => credentialRequest(h, token, body(jwt))),
    ]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 400]);
    await expectOAuthError(a.status === 400 ? a : b, 400, 'invalid_credential_request');
    expect((await issuedFor(o.id))[0]!.n).toBe(before + 1);
  });
});
