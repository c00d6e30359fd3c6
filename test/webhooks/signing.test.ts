import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, secretBytes, signWebhook } from '../../src/webhooks/signing.ts';

/*
 * Our deliveries as a receiver checks them with the Standard Webhooks reference library
 * (standardwebhooks on npm), not with our own code: each secret we hand out opens the messages
 * signed with it, during a rotation either secret does, and nothing else passes.
 */

const body = JSON.stringify({ type: 'attestation.status_changed', timestamp: '2026-11-28T10:00:00.000Z', data: { to: 'revoked' } });
const id = '6d5c8f6e-2b1a-4c1e-9d3a-0f4b2e7c9a10';

describe('Standard Webhooks signatures', () => {
  it('verify with the reference library under the secret we handed out', async () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(secretBytes(secret)).toHaveLength(32);
    const headers = await signWebhook(id, new Date(), body, [secret]);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('carry one signature per secret during a rotation, each of which opens the message', async () => {
    const [next, previous] = [newWebhookSecret(), newWebhookSecret()];
    const headers = await signWebhook(id, new Date(), body, [next, previous]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(next).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(new Webhook(previous).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('refuse a changed body, another secret, another id and a stale timestamp', async () => {
    const secret = newWebhookSecret();
    const headers = await signWebhook(id, new Date(), body, [secret]);
    expect(() => new Webhook(secret).verify(body.replace('revoked', 'valid'), { ...headers })).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, { ...headers })).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': `${id}x` })).toThrow();
    const old = await signWebhook(id, new Date(Date.now() - 10 * 60_000), body, [secret]);
    expect(() => new Webhook(secret).verify(body, { ...old })).toThrow(/timestamp/i);
  });
});
