import { issuerIdentity } from '../did/issuer-identity.ts';
import { requireOpenShare } from '../sharing/shares.ts';
import type { Database } from '../store/port.ts';
import { withTenant } from '../store/tenant-scope.ts';
import type { NoticeChange } from '../webhooks/notices.ts';
import { noticesOf, type OutboxEvent } from '../webhooks/store.ts';

// Here rather than in sharing/: the feed is a share link's view of the notices the webhooks'
// outbox holds (webhooks), opened through the link (sharing).

/** Items a feed carries: the newest; an attestation changes a handful of times in its life. */
const FEED_ITEMS = 100;

/** A JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) with launchproof's `_launchproof` extension. */
export interface ShareFeed {
  readonly version: 'https://jsonfeed.org/version/1.1';
  readonly title: string;
  readonly home_page_url: string;
  readonly feed_url: string;
  readonly description: string;
  readonly authors: readonly { name: string }[];
  readonly _launchproof: Readonly<Record<string, unknown>>;
  readonly items: readonly Readonly<Record<string, unknown>>[];
}

const HEADLINE: Record<NoticeChange, string> = {
  suspended: 'The attestation was suspended',
  reinstated: 'The attestation was reinstated',
  revoked: 'The attestation was revoked',
  superseded: 'The attestation was replaced by a newer one',
  key_revoked: 'The key that signed the attestation was revoked',
  expiring: 'The attestation is nearing the end of its validity',
};

function sentence(change: NoticeChange, data: Record<string, unknown>): string {
  const parts = [`${HEADLINE[change]} on ${String(data.changed_at)}.`];
  if (typeof data.reason === 'string') parts.push(`The issuer's reason: ${data.reason}.`);
  if (typeof data.superseded_by === 'string') parts.push(`The newer attestation is ${data.superseded_by}.`);
  if (typeof data.valid_until === 'string') parts.push(`It is valid until ${data.valid_until}.`);
  if (change === 'key_revoked' || change === 'revoked') parts.push('Verify the credential again before relying on it.');
  return parts.join(' ');
}

function item(e: OutboxEvent): Record<string, unknown> {
  const change = e.type.slice('notice.'.length) as NoticeChange;
  return {
    id: e.id,
    title: HEADLINE[change] ?? e.type,
    content_text: sentence(change, e.data),
    date_published: e.at.toISOString(),
    _launchproof: { type: e.type, ...e.data, notice: e.notice },
  };
}

/**
 * The change feed of a share link: the notices of its attestation since the link was made,
 * newest first, each with the JWS the tenant's key signed, for a buyer's tools to poll (with If-None-Match) instead of
 * running an endpoint. The same bytes until a notice is added, so an ETag over them is stable.
 */
export async function shareFeed(db: Database, publicUrl: URL, token: string, now: Date): Promise<ShareFeed> {
  const shared = await requireOpenShare(db, token, now);
  const notices = await withTenant(db, shared.tenantId, (tx) =>
    noticesOf(tx, shared.tenantId, shared.attestationId, { newest: FEED_ITEMS, within: shared.shareId }),
  );
  const page = `${publicUrl.origin}/s/${token}`;
  const issuer = issuerIdentity(publicUrl, shared.tenantId);
  return {
    version: 'https://jsonfeed.org/version/1.1',
    title: `Changes to the launch-readiness attestation ${shared.tenantName} shared${shared.label ? ` with ${shared.label}` : ''}`,
    home_page_url: page,
    feed_url: `${page}/feed.json`,
    description:
      'Each item is a notice of a change to this attestation: suspended, reinstated, revoked, replaced, its signing key revoked, or nearing its end. ' +
      '_launchproof.notice is the notice as a JWS signed with the issuer’s key (its kid names the key in the issuer’s DID document and JWKS).',
    authors: [{ name: shared.tenantName }],
    _launchproof: {
      attestation_id: shared.attestationId,
      issuer: issuer.did,
      jwks_url: issuer.jwksUrl,
      subscribe_url: `${page}/subscriptions`,
    },
    items: notices.map(item),
  };
}
