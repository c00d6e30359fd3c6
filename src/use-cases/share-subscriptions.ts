import { recordEvent } from '../audit/events.ts';
import { AppError } from '../errors/index.ts';
import type { KeyEncryptionKey } from '../keys/key-crypto.ts';
import { requireOpenShare } from '../sharing/shares.ts';
import type { Database, Queryable } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import { isUuid } from '../util/uuid.ts';
import { base64urlEncode } from '../util/base64url.ts';
import { cancelToken, cancelUrl, isCancelToken } from '../webhooks/cancel-link.ts';
import { checkEndpointUrl } from '../webhooks/endpoint-url.ts';
import { NOTICE_TYPES } from '../webhooks/notices.ts';
import { openWebhookSecret, sealWebhookSecret } from '../webhooks/secrets.ts';
import { WebhookSendFailure, type WebhookSender } from '../webhooks/sender.ts';
import { newWebhookSecret, signWebhook } from '../webhooks/signing.ts';
import {
  findSubscription,
  insertWebhook,
  lastPosition,
  liveSubscriptionsOfShare,
  lockShareSubscriptions,
  markWebhookDeleted,
} from '../webhooks/store.ts';

// Here rather than in webhooks/ or sharing/: a subscription is made from a share link (sharing),
// confirmed over the guarded edge, sealed with the KEK (keys), and audited.

/** Subscriptions one share link may hold at once: a buyer's team, not a mailing list. */
export const MAX_SUBSCRIPTIONS_PER_SHARE = 20;

export interface SubscriptionDeps {
  readonly db: Database;
  readonly kek: KeyEncryptionKey;
  readonly now: Date;
  readonly publicUrl: URL;
  /** The challenge's one request, over the guarded edge. */
  readonly send: WebhookSender;
  /** Development only (config.webhooksAllowLocal): http and loopback endpoints are accepted. */
  readonly allowLocal: boolean;
}

export interface NewSubscription {
  readonly id: string;
  readonly attestationId: string;
  readonly url: string;
  readonly party: string | null;
  readonly createdAt: Date;
  /** Shown once: what the notices' Standard Webhooks signatures are made with. */
  readonly secret: string;
  readonly cancelUrl: string;
}

/**
 * Subscribes a buyer's endpoint to the attestation a share link shows: notices of its changes
 * from now on. The endpoint must first prove it wants them: it is sent a signed challenge and
 * must answer 2xx with the challenge, as text or as `{"challenge": …}`; nothing is stored
 * otherwise, so a share link cannot be used to point the service at someone else's URL more than
 * the rate limit allows, and never with a lasting effect.
 */
export async function subscribeToShare(
  deps: SubscriptionDeps,
  token: string,
  input: { url: string; party?: string },
): Promise<NewSubscription> {
  const url = checkEndpointUrl(input.url, deps.allowLocal);
  const shared = await requireOpenShare(deps.db, token, deps.now);
  // Checked before the challenge, so a full link sends none; checked again, under a lock, before storing.
  await withTenant(deps.db, shared.tenantId, (tx) => requireRoom(tx, shared.tenantId, shared.shareId));

  const id = crypto.randomUUID();
  const secret = newWebhookSecret();
  await confirmEndpoint(deps, url, secret, { id, attestationId: shared.attestationId });

  const sealed = await sealWebhookSecret(deps.kek, shared.tenantId, id, secret);
  const party = input.party ?? null;
  await withTenant(deps.db, shared.tenantId, async (tx) => {
    await lockShareSubscriptions(tx, shared.shareId);
    await requireRoom(tx, shared.tenantId, shared.shareId);
    await insertWebhook(tx, {
      tenantId: shared.tenantId,
      id,
      url,
      eventTypes: NOTICE_TYPES,
      secretSealed: sealed,
      kekId: deps.kek.id,
      afterPosition: await lastPosition(tx, shared.tenantId),
      createdAt: deps.now,
      createdBy: 'buyer',
      buyer: { shareId: shared.shareId, attestationId: shared.attestationId, party },
    });
    // The tenant's audit trail says a party subscribed, through which link; never where to.
    await recordEvent(tx, {
      tenantId: shared.tenantId,
      at: deps.now,
      actor: 'buyer',
      action: 'subscription.created',
      target: shared.attestationId,
      detail: { subscription: id, share: shared.shareId, ...(party ? { party } : {}) },
    });
  });
  return {
    id,
    attestationId: shared.attestationId,
    url,
    party,
    createdAt: deps.now,
    secret,
    cancelUrl: cancelUrl(deps.publicUrl, shared.tenantId, id, await cancelToken(secret, id)),
  };
}

/** Refuses a subscription beyond the link's cap. */
async function requireRoom(tx: Queryable, tenantId: string, shareId: string): Promise<void> {
  if ((await liveSubscriptionsOfShare(tx, tenantId, shareId)) >= MAX_SUBSCRIPTIONS_PER_SHARE)
    throw new AppError('subscription_limit', `a share link holds at most ${MAX_SUBSCRIPTIONS_PER_SHARE} subscriptions; cancel one first`);
}

/**
 * Sends the challenge, signed with the new secret, and checks the answer echoes it. Whoever asks
 * holds nothing but a share link, so every failure reads the same except an answer's HTTP status
 * (which only a public host that was reached gives): the route is no probe of which names the
 * service resolves, or to what.
 */
async function confirmEndpoint(
  deps: SubscriptionDeps,
  url: string,
  secret: string,
  about: { id: string; attestationId: string },
): Promise<void> {
  const challenge = base64urlEncode(crypto.getRandomValues(new Uint8Array(32)));
  const body = JSON.stringify({
    type: 'subscription.challenge',
    timestamp: deps.now.toISOString(),
    data: { challenge, subscription_id: about.id, attestation_id: about.attestationId },
  });
  const headers = await signWebhook(crypto.randomUUID(), deps.now, body, [secret]);
  let answer;
  try {
    answer = await deps.send({
      url,
      headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'launchproof-webhooks' },
      body,
    });
  } catch (e) {
    if (!(e instanceof WebhookSendFailure)) throw e;
    throw new AppError('subscription_not_confirmed', 'the endpoint could not be reached, or is not on a public address');
  }
  if (answer.status < 200 || answer.status > 299)
    throw new AppError('subscription_not_confirmed', `the endpoint answered the challenge with HTTP ${answer.status}`);
  if (!echoes(answer.excerpt, challenge))
    throw new AppError(
      'subscription_not_confirmed',
      'the endpoint answered without the challenge: answer it as text or as {"challenge": "…"}',
    );
}

function echoes(answer: string, challenge: string): boolean {
  const text = answer.trim();
  if (text === challenge) return true;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && (parsed as { challenge?: unknown }).challenge === challenge;
  } catch {
    return false;
  }
}

/**
 * Cancels a subscription with the token of its cancel link. An unknown subscription and a wrong
 * token are refused alike. Cancelling twice answers as the first time did.
 */
export async function cancelSubscription(
  deps: { db: Database; kek: KeyEncryptionKey; now: Date },
  tenantId: string,
  id: string,
  token: string,
): Promise<{ id: string; attestationId: string }> {
  const refused = () => new AppError('subscription_not_found', 'no such subscription, or the cancel link is not valid');
  if (!isUuid(id)) throw refused();
  return withTenant(deps.db, tenantId, async (tx) => {
    const found = await findSubscription(tx, tenantId, id);
    if (!found?.attestationId) throw refused();
    const secret = await openWebhookSecret(deps.kek, tenantId, id, found.secretSealed, found.kekId);
    if (!(await isCancelToken(secret, id, token))) throw refused();
    if (await markWebhookDeleted(tx, tenantId, id))
      await recordEvent(tx, {
        tenantId,
        at: deps.now,
        actor: 'buyer',
        action: 'subscription.cancelled',
        target: found.attestationId,
        detail: { subscription: id },
      });
    return { id, attestationId: found.attestationId };
  });
}
