/**
 * The API's prose: each operation's operationId, what it does in a sentence or two beyond its
 * summary, and the request example a newcomer can start from. Kept in one place so the whole
 * reference reads in one voice; test/http/api-reference.test.ts fails for an operation missing
 * here and for an entry that names no operation. Roles are not written here: they are read from
 * the guard that enforces them (openapi-document.ts).
 */
export interface OperationDoc {
  readonly operationId: string;
  /** Appended after a description the route gives itself, or the whole of it. */
  readonly description: string;
  readonly example?: unknown;
}

const ASSESSMENT_EXAMPLE = {
  profile: { id: 'production-readiness-review', version: '1.0.0' },
  subject: { organisation: 'Acme Corp', product: 'Acme Cloud', productionUrl: 'https://app.acme.example' },
  results: [
    {
      control: 'security.ssrf',
      status: 'pass',
      evidence: [
        {
          uri: 'https://evidence.acme.example/2026-11/ssrf-scan.json',
          digestSRI: 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
          mediaType: 'application/json',
          collectedAt: '2026-11-01T08:00:00Z',
          collectedBy: 'release pipeline',
        },
      ],
    },
    { control: 'reliability.async_queue', status: 'fail', note: 'Deliveries still run inline; queue lands in Q1.' },
  ],
  signOffs: [],
};
const HOLDER_JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'WSEYRMQ4VzOsopKBckvAEBHS9f92-LGYWRtKmJO6H9w',
  y: '-B79Ep_Hg4mJts5vWMfixQjKVLjSFPTP_hssuu_JRk4',
};
const SD_JWT =
  'eyJhbGciOiJFUzI1NiIsInR5cCI6ImRjK3NkLWp3dCJ9.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLmNvbS90L2FjbWUifQ.c2lnbmF0dXJl~WyJzYWx0IiwiY2xhaW0iLCJ2YWx1ZSJd~';
const VC_JWT = 'eyJhbGciOiJFUzI1NiIsInR5cCI6InZjK2p3dCJ9.eyJpc3MiOiJkaWQ6d2ViOmlzc3Vlci5leGFtcGxlLmNvbTp0OmFjbWUifQ.c2lnbmF0dXJl';
const ID = '5f0c6a4e-3b1d-4c2a-9e8f-7a6b5c4d3e2f';

export const OPERATION_DOCS: Readonly<Record<string, OperationDoc>> = {
  'GET /healthz': {
    operationId: 'getHealth',
    description:
      'Liveness: answers 200 while the process serves, without touching the database (a database outage must not get a healthy process restarted). Never cached.',
  },
  'GET /readyz': {
    operationId: 'getReadiness',
    description:
      'Readiness: 200 when the database answers, its migrations are the ones this build expects and the key-encryption key opens every key that may still sign; otherwise 503 not_ready, naming each failed check (database, migrations, kek). For load balancers deciding whether to send traffic.',
  },
  'GET /.well-known/did.json': {
    operationId: 'getPlatformDidDocument',
    description:
      'The platform identity’s did:web document: every published key as a JsonWebKey2020 referenced from assertionMethod, retired keys included until their publication ends.',
  },
  'GET /t/{tenant}/did.json': {
    operationId: 'getTenantDidDocument',
    description: 'A tenant’s did:web document (did:web:HOST:t:TENANT), which verifiers resolve to find the keys that sign its credentials.',
  },
  'GET /.well-known/jwks.json': {
    operationId: 'getPlatformJwks',
    description: 'The platform’s published keys as an RFC 7517 JWK Set; each kid is the key’s RFC 7638 thumbprint.',
  },
  'GET /t/{tenant}/jwks.json': {
    operationId: 'getTenantJwks',
    description: 'A tenant’s published keys as an RFC 7517 JWK Set; pin a kid from here with `launchproof verify --expect-kid`.',
  },
  'GET /.well-known/jwt-vc-issuer': {
    operationId: 'getPlatformJwtVcIssuerMetadata',
    description: 'SD-JWT VC issuer metadata of the platform: its issuer identifier and JWK Set, as SD-JWT VC verifiers fetch it.',
  },
  'GET /.well-known/jwt-vc-issuer/t/{tenant}': {
    operationId: 'getTenantJwtVcIssuerMetadata',
    description: 'SD-JWT VC issuer metadata of a tenant: where a verifier of its dc+sd-jwt credentials finds the signing keys.',
  },
  'GET /v1/tenants': {
    operationId: 'listTenants',
    description: 'Every tenant of this deployment with its DID, issuer URL and key policy.',
  },
  'POST /v1/tenants': {
    operationId: 'createTenant',
    description:
      'Creates a tenant and generates its first signing key and the waiting key that replaces it at rotation. The id becomes part of its DID and cannot change.',
    example: {
      id: 'acme',
      name: 'Acme Corp',
      key_policy: { algorithm: 'ES256', rotationPeriodDays: 90, maxCredentialValidityDays: 365, retiredPublishDays: 400 },
    },
  },
  'GET /v1/tenants/{tenant}': {
    operationId: 'getTenant',
    description: 'One tenant with its DID, issuer URL, key policy and creation date.',
  },
  'GET /v1/t/{tenant}/keys': {
    operationId: 'listSigningKeys',
    description:
      'Every signing key the tenant ever had, with the instants of its lifecycle (created, active, retired, published until, revoked) and its current state.',
  },
  'POST /v1/t/{tenant}/keys/rotate': {
    operationId: 'rotateSigningKey',
    description:
      'Retires the signing key now: the waiting key starts signing and a new waiting key is made. The retired key stays published so what it signed keeps verifying.',
  },
  'POST /v1/t/{tenant}/log/key/rotate': {
    operationId: 'rotateLogKey',
    description:
      'Replaces the key that signs the tenant’s transparency-log checkpoints. The retired key stays in the DID document and the trust bundle, so every checkpoint it signed still opens; the current checkpoint is signed again by both keys, so a witness that knows only the old key sees it vouch for the new one.',
  },
  'POST /v1/t/{tenant}/keys/{kid}/revoke': {
    operationId: 'revokeSigningKey',
    description:
      'For a compromised key: unpublished at once, and every credential it signed is revoked, since its signature no longer proves anything.',
    example: { reason: 'key material exposed in incident INC-2291' },
  },
  'GET /v1/t/{tenant}/key-policy': {
    operationId: 'getKeyPolicy',
    description: 'The algorithm, rotation period, longest credential validity and how long retired keys stay published.',
  },
  'PUT /v1/t/{tenant}/key-policy': {
    operationId: 'replaceKeyPolicy',
    description: 'Replaces the whole policy. Keys already made keep their algorithm; the next key generated follows the new one.',
    example: { algorithm: 'EdDSA', rotationPeriodDays: 30, maxCredentialValidityDays: 180, retiredPublishDays: 400 },
  },
  'GET /v1/t/{tenant}/api-keys': {
    operationId: 'listApiKeys',
    description: 'The tenant’s API keys with their roles, labels and revocation dates; a key’s secret is never shown again.',
  },
  'POST /v1/t/{tenant}/api-keys': {
    operationId: 'createApiKey',
    description: 'Mints an API key holding the roles named; the token is in this response only and is stored as a hash.',
    example: { roles: ['issuer', 'status'], label: 'release pipeline' },
  },
  'POST /v1/t/{tenant}/api-keys/{id}/revoke': {
    operationId: 'revokeApiKey',
    description: 'Revokes an API key at once: its next request answers 401.',
  },
  'GET /profiles': {
    operationId: 'listBuiltinProfiles',
    description: 'The built-in readiness profiles, each version with its SHA-256 (JCS) digest, which a verdict cites.',
  },
  'GET /profiles/{id}/{version}': {
    operationId: 'getBuiltinProfile',
    description:
      'One built-in profile version exactly as verdicts are decided against it; immutable, so a verdict can be recomputed from it years later.',
  },
  'GET /t/{tenant}/profiles': {
    operationId: 'listTenantProfiles',
    description: 'The profiles a tenant may assess against: the built-ins and the versions it added.',
  },
  'GET /t/{tenant}/profiles/{id}/{version}': {
    operationId: 'getTenantProfile',
    description: 'One profile version a tenant may assess against, built-in or its own, with its digest.',
  },
  'POST /v1/t/{tenant}/profiles': {
    operationId: 'createTenantProfile',
    description:
      'Adds a version of the tenant’s own readiness profile. A version is immutable once added: publish a new version to change it.',
    example: {
      id: 'acme-launch',
      version: '1.0.0',
      title: 'Acme launch review',
      description: 'What Acme checks before a launch.',
      source: 'Acme engineering handbook, launch chapter.',
      audiences: ['security'],
      stages: [{ id: 'launchable', title: 'Launchable', description: 'Safe to put in front of customers.' }],
      sections: [
        {
          id: 'security',
          title: 'Security',
          controls: [
            {
              id: 'security.pen_test',
              title: 'Penetration test',
              description: 'An external penetration test of the production deployment found nothing open above medium.',
              required: true,
              audiences: ['security'],
              evidence: { expected: 'The tester’s report and the closed findings.' },
              ifMissing: 'Unknown exposure of the production deployment.',
              stage: 'launchable',
              strict: true,
              applicability: 'always',
            },
          ],
        },
      ],
      signOffs: [],
    },
  },
  'POST /v1/t/{tenant}/assessments': {
    operationId: 'createAssessment',
    description:
      'Stores an assessment and the verdict the service computes from it against its profile; nothing is signed. Issue from it later with its id. `launchproof assessment template` writes a starting point.',
    example: ASSESSMENT_EXAMPLE,
  },
  'GET /v1/t/{tenant}/attestations': {
    operationId: 'listAttestations',
    description: 'The tenant’s attestations, newest first, filtered by subject or profile, a page at a time.',
  },
  'POST /v1/t/{tenant}/attestations': {
    operationId: 'issueAttestation',
    description:
      'Evaluates the assessment (inline, or a stored one by assessment_id) and signs its verdict in each format asked for, all sharing one status-list slot. With Idempotency-Key, a retry returns the first answer.',
    example: { assessment_id: ID, formats: ['vc+jwt', 'dc+sd-jwt'], holder: { jwk: HOLDER_JWK } },
  },
  'GET /v1/t/{tenant}/credentials': {
    operationId: 'listCredentials',
    description: 'Credential records, newest first, filtered by subject, profile, format or date, a page at a time.',
  },
  'GET /v1/t/{tenant}/credentials/{credential}': {
    operationId: 'getCredential',
    description:
      'One credential record: its format, signing key, validity, holder, the credential itself and where its status is published.',
  },
  'GET /v1/t/{tenant}/attestations/{attestation}': {
    operationId: 'getAttestation',
    description:
      'Everything the tenant knows of one attestation: its formats, current status, every status change with who and why, what it supersedes or is superseded by, and its open share links.',
  },
  'PATCH /v1/t/{tenant}/attestations/{attestation}/status': {
    operationId: 'setAttestationStatus',
    description:
      'Changes the status of every format of the attestation at once. `revoked` is final; `suspended` and `valid` may alternate. `reason` stays in the records, `public_reason` is shown to buyers.',
    example: { status: 'suspended', reason: 'ticket SEC-142', public_reason: 'evidence under review' },
  },
  'GET /v1/t/{tenant}/attestations/{attestation}/shares': {
    operationId: 'listShares',
    description: 'The attestation’s share links with what each reveals, when it expires, and how often and when it was last viewed.',
  },
  'POST /v1/t/{tenant}/attestations/{attestation}/shares': {
    operationId: 'createShare',
    description:
      'A link for one buyer to the verification page, revealing only the SD-JWT VC claims named by JSON pointer (subject, profile and verdict are always shown). The token is in this response only.',
    example: { reveal: ['/results/security.ssrf'], expires_at: '2027-06-30T00:00:00Z', label: 'Globex procurement' },
  },
  'DELETE /v1/t/{tenant}/attestations/{attestation}/shares/{share}': {
    operationId: 'withdrawShare',
    description: 'Withdraws a share link: the page and its badge answer 410 and show nothing of the attestation from now on.',
  },
  'POST /s/{token}/subscriptions': {
    operationId: 'subscribeToShare',
    description:
      'A buyer holding a share link subscribes an https endpoint to notices of that attestation: suspended, reinstated, revoked, superseded, its signing key revoked. The endpoint is sent a signed challenge first and must echo it; each notice carries a JWS signed with the issuer’s key and a link that cancels the subscription.',
    example: { url: 'https://hooks.buyer.example/launchproof', party: 'Globex procurement' },
  },
  'POST /t/{tenant}/subscriptions/{subscription}/cancel': {
    operationId: 'cancelShareSubscription',
    description: 'Cancels a buyer’s subscription with the token of the cancel link its notices carry; cancelling twice answers the same.',
  },
  'GET /s/{token}/feed.json': {
    operationId: 'getShareFeed',
    description:
      'The share’s change feed as JSON Feed 1.1: the notices of the attestation, newest first, each with its JWS signed by the issuer’s key. Poll with If-None-Match; never cached by shared caches.',
  },
  'GET /t/{tenant}/notices/{credential}': {
    operationId: 'getNotice',
    description:
      'What a buyer may know about a credential beyond its status bit: since when it has that status, the public reason, and the attestation that superseded it.',
  },
  'GET /s/{token}/badge.svg': {
    operationId: 'getShareBadgeSvg',
    description: 'An SVG badge for a README or a trust page; cached at most 300 seconds, so a status change shows within minutes.',
  },
  'GET /s/{token}/badge.json': {
    operationId: 'getShareBadgeJson',
    description: 'The badge as a shields.io endpoint document, for projects that render their badges there.',
  },
  'GET /t/{tenant}/status/{list}': {
    operationId: 'getTokenStatusList',
    description:
      'The IETF Token Status List a dc+sd-jwt credential points at: 2 bits per slot (0 valid, 1 revoked, 2 suspended), signed, with a ttl of 300 seconds.',
  },
  'GET /t/{tenant}/status/{list}/revocation': {
    operationId: 'getRevocationStatusList',
    description:
      'The W3C Bitstring Status List credential of revocations over the same slots, which vc+jwt and jwt_vc_json credentials point at.',
  },
  'GET /t/{tenant}/status/{list}/suspension': {
    operationId: 'getSuspensionStatusList',
    description: 'The W3C Bitstring Status List credential of suspensions over the same slots.',
  },
  'GET /v1/t/{tenant}/credentials/{credential}/status': {
    operationId: 'getCredentialStatus',
    description:
      'The status of the credential’s attestation, the lists and index it is published at, and every change: from, to, who, when, why.',
  },
  'PATCH /v1/t/{tenant}/credentials/{credential}/status': {
    operationId: 'setCredentialStatus',
    description: 'The same change as on the attestation, named by one of its credentials: every format of the attestation changes.',
    example: { status: 'revoked', reason: 'customer withdrew the launch', public_reason: 'withdrawn by the vendor' },
  },
  'POST /v1/t/{tenant}/credentials/revoke': {
    operationId: 'revokeCredentials',
    description: 'Revokes in bulk: every credential of a subject, or every credential one key signed (its kid thumbprint).',
    example: { subject: 'https://app.acme.example', reason: 'product retired' },
  },
  'POST /v1/verify': { operationId: 'verifyCredential', description: 'Any format this service issues.', example: { credential: VC_JWT } },
  'GET /': {
    operationId: 'getHomePage',
    description: 'The landing page for a buyer who followed a link here: what the service is and where to verify.',
  },
  'GET /assets/site.css': {
    operationId: 'getSiteStylesheet',
    description: 'The one stylesheet every page loads; the page CSP allows no other.',
  },
  'GET /verify': {
    operationId: 'getVerifyPage',
    description:
      'A form to paste or drop a credential; the browser build of the verification pipeline checks it, with the form posting to the server when scripts are off.',
  },
  'POST /verify': {
    operationId: 'submitVerifyForm',
    description: 'The page answers with the report, or with the form again and what was wrong.',
  },
  'GET /s/{token}': { operationId: 'getSharePage', description: 'An expired or withdrawn link answers 410.' },
  'POST /t/{tenant}/credentials/issue': {
    operationId: 'vcApiIssueCredential',
    description: 'The W3C CCG VC-API shape of issuance.',
    example: {
      credential: {
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        type: ['VerifiableCredential'],
        credentialSubject: { assessment: ID },
      },
    },
  },
  'POST /t/{tenant}/credentials/verify': {
    operationId: 'vcApiVerifyCredential',
    description: 'The W3C CCG VC-API shape of verification.',
    example: {
      verifiableCredential: {
        '@context': 'https://www.w3.org/ns/credentials/v2',
        id: `data:application/vc+jwt,${VC_JWT}`,
        type: 'EnvelopedVerifiableCredential',
      },
    },
  },
  'POST /t/{tenant}/credentials/status': {
    operationId: 'vcApiUpdateStatus',
    description: 'The W3C CCG VC-API shape of a status change.',
    example: {
      credentialId: `urn:uuid:${ID}`,
      credentialStatus: { type: 'BitstringStatusListEntry', statusPurpose: 'suspension' },
      status: true,
    },
  },
  'POST /v1/present': {
    operationId: 'preparePresentation',
    description:
      'Keeps only the disclosures of the claims named and, with key_binding, returns the exact key-binding JWT for the holder to sign with its own key, which never reaches the service. `launchproof present` does the same offline.',
    example: {
      credential: SD_JWT,
      reveal: ['/results/security.ssrf'],
      key_binding: { audience: 'https://buyer.example', nonce: 'contract-2026-11', alg: 'ES256' },
    },
  },
  'GET /t/{tenant}/trust-bundle.json': {
    operationId: 'getTrustBundle',
    description:
      'A flattened JWS over the DID document, issuer metadata, full key history, current status lists and cited profiles: what `launchproof verify --bundle` needs to judge a credential with no network.',
  },
  'GET /t/{tenant}/log/checkpoint': {
    operationId: 'getLogCheckpoint',
    description:
      'The tenant log’s latest checkpoint as a C2SP signed note (origin HOST/t/TENANT, tree size, root hash), signed by the log key at /t/{tenant}/log/key. Sequencing runs right after each change, so it names a change within about 2 s. Keep the checkpoints you see: a later one must extend each (GET /t/{tenant}/log/consistency).',
  },
  'GET /t/{tenant}/log/key': {
    operationId: 'getLogVerifierKey',
    description:
      'The note verifier key (name+keyid+base64 Ed25519 key) that opens the log’s checkpoints, for witnesses and tile clients; the same key is in the tenant’s DID document as the verification method #log-KID.',
  },
  'GET /t/{tenant}/log/entries/{n}': {
    operationId: 'getLogEntry',
    description:
      'Entry n of the tenant’s log, its exact bytes (RFC 8785 canonical JSON): what an issuance, status change, key event or published profile recorded. Its leaf hash is SHA-256(0x00 || bytes).',
  },
  'GET /t/{tenant}/log/consistency': {
    operationId: 'getLogConsistencyProof',
    description:
      'The RFC 9162 consistency proof from the tree of `from` entries to the tree of `to` (the latest checkpoint’s size by default), with that checkpoint: proves an older checkpoint you kept is a prefix of the log served now.',
  },
  'GET /t/{tenant}/log/tile/{level}/{n}': {
    operationId: 'getLogTile',
    description:
      'A hash tile as C2SP tlog-tiles lays it out (tile/L/N, or tile/L/N.p/W when partial), so a tile client recomputes the checkpoint’s root and proofs itself. Full tiles never change and are cacheable for good.',
  },
  'GET /t/{tenant}/log/tile/entries/{n}': {
    operationId: 'getLogEntryBundle',
    description:
      'An entry bundle as C2SP tlog-tiles lays it out (tile/entries/N, or .p/W when partial): up to 256 entries, each after its two-byte big-endian length.',
  },
  'GET /v1/t/{tenant}/attestations/{attestation}/proof': {
    operationId: 'getAttestationLogProof',
    description:
      'Where the attestation is in the tenant’s log: its issuance entry and every status change sequenced so far, each with its RFC 9162 inclusion proof against the latest signed checkpoint. 409 log_entry_pending (Retry-After) in the moment between issuance and sequencing.',
  },
  'POST /v1/t/{tenant}/webhooks': {
    operationId: 'createWebhook',
    description:
      'Registers an https endpoint for the tenant’s events of the given types, from now on. Deliveries are signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256 under the secret returned here, once). Each event is sent until it is answered 2xx, in order, retried with growing pauses; an endpoint failing for 3 days is disabled.',
    example: { url: 'https://hooks.example.com/launchproof', event_types: ['attestation.status_changed', 'key.revoked'] },
  },
  'GET /v1/t/{tenant}/webhooks': {
    operationId: 'listWebhooks',
    description:
      'Every endpoint of the tenant with where it stands: the next event due, failures in a row, when it is tried next, whether it was disabled and why.',
  },
  'GET /v1/t/{tenant}/webhooks/{webhook}': {
    operationId: 'getWebhook',
    description: 'One endpoint with where it stands.',
  },
  'DELETE /v1/t/{tenant}/webhooks/{webhook}': {
    operationId: 'deleteWebhook',
    description: 'Stops the endpoint’s deliveries for good.',
  },
  'POST /v1/t/{tenant}/webhooks/{webhook}/secret': {
    operationId: 'rotateWebhookSecret',
    description:
      'A new signing secret, returned once. The old one goes on signing beside it (a second v1 signature) for overlap_seconds (a day unless given, at most a week), so the receiver can switch without a message it cannot check. Rotating again during an overlap ends the oldest secret at once (for a secret that leaked).',
    example: { overlap_seconds: 3600 },
  },
  'POST /v1/t/{tenant}/webhooks/{webhook}/replay': {
    operationId: 'replayWebhook',
    description:
      'Sends the endpoint’s events again from from_position (or from the event it is due), and re-enables it if it was disabled. It may go back to before the endpoint existed (to fill a new receiver). Messages sent again carry their first webhook-id, so a receiver drops those it already has.',
    example: { from_position: 0 },
  },
  'GET /v1/t/{tenant}/webhooks/{webhook}/deliveries': {
    operationId: 'listWebhookDeliveries',
    description:
      'The delivery log, newest first: each attempt’s event, instant, outcome, HTTP status, latency and the first 256 characters of the answer (never more of it).',
  },
  'POST /v1/t/{tenant}/audit-exports': {
    operationId: 'createAuditExport',
    description:
      'Queues a package of the tenant log’s entries whose change happened between `from` and `to` (RFC 3339, at most 366 days apart), each with its index, exact text, leaf hash and RFC 9162 inclusion proof against the latest checkpoint, with that signed checkpoint and the log’s verifier keys. Answers 202 at once with a signed `download_url` that expires within the hour; the package is built off the request path within seconds and kept 7 days. Check it offline with `launchproof audit verify PACKAGE --expect-key VKEY`. The request and every download are audit events.',
    example: { from: '2026-01-01T00:00:00Z', to: '2026-03-31T23:59:59Z', format: 'zip' },
  },
  'GET /v1/t/{tenant}/audit-exports/{export}': {
    operationId: 'getAuditExport',
    description:
      'The export’s status (pending, ready, failed with the reason, expired) and a fresh signed `download_url`, for when the one the request answered has expired.',
  },
  'GET /t/{tenant}/audit-exports/{export}/package': {
    operationId: 'downloadAuditExport',
    description:
      'The package, for the holder of its signed link (no API key). A link opens only the export and tenant it was signed for, until its `expires`: another export, another tenant, or a changed expiry or signature answer 403 audit_export_link_invalid; an expired link or export 410 audit_export_gone; an export still being built 409 audit_export_not_ready with Retry-After. Each download is recorded as an audit event against the export and the principal who asked for it.',
  },
  'GET /assets/verify.js': {
    operationId: 'getVerifyScript',
    description: 'The same checks as the server’s, bundled for the browser; served from this origin only.',
  },
  'GET /t/{tenant}/verifier.html': {
    operationId: 'getOfflineVerifier',
    description:
      'The tenant’s trust bundle and the verifier in one file: saved to disk, it verifies the tenant’s credentials years later without any network.',
  },
  'GET /types/launch-readiness/v1': {
    operationId: 'getTypeMetadata',
    description: 'The vct of every SD-JWT VC this service issues resolves here; its SHA-256 is the credential’s `vct#integrity`.',
  },
  'GET /.well-known/vct/types/launch-readiness/v1': {
    operationId: 'getTypeMetadataWellKnown',
    description: 'The same type metadata at the well-known location SD-JWT VC verifiers try.',
  },
  'GET /contexts/launch-readiness/v1': {
    operationId: 'getJsonLdContext',
    description: 'Defines every term of the VC Data Model 2.0 credential, so JSON-LD processors read it without guessing.',
  },
  'GET /schemas/{name}': {
    operationId: 'getJsonSchema',
    description:
      'JSON Schemas of the credential, of a readiness profile and of an assessment, for validating documents before sending them.',
  },
  'GET /.well-known/openid-credential-issuer/t/{tenant}': {
    operationId: 'getCredentialIssuerMetadata',
    description: 'What a wallet reads first: the tenant’s credential configurations, its endpoints and display names.',
  },
  'GET /.well-known/oauth-authorization-server/t/{tenant}': {
    operationId: 'getAuthorizationServerMetadata',
    description: 'Where a wallet exchanges a pre-authorized code, and what grant it supports.',
  },
  'POST /v1/t/{tenant}/offers': {
    operationId: 'createCredentialOffer',
    description:
      'Creates an OID4VCI credential offer with a pre-authorized code for a stored or inline assessment, with its QR code as SVG; the wallet’s SD-JWT VC is bound to the key it proves.',
    example: { assessment_id: ID, formats: ['dc+sd-jwt'] },
  },
  'GET /t/{tenant}/offers/{ref}': {
    operationId: 'getCredentialOffer',
    description: 'The offer a credential_offer_uri names, while its pre-authorized code has not been redeemed or expired.',
  },
  'POST /t/{tenant}/token': {
    operationId: 'exchangePreAuthorizedCode',
    description:
      'OAuth 2.0 token endpoint (form-encoded): one pre-authorized code and its tx_code buy one access token, once. Errors are RFC 6749 error objects.',
    example: 'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=CODE&tx_code=123456',
  },
  'POST /t/{tenant}/nonce': {
    operationId: 'getNonce',
    description: 'A c_nonce for the wallet’s proof of possession; each nonce is accepted once.',
  },
  'POST /t/{tenant}/credential': {
    operationId: 'requestCredential',
    description:
      'The wallet presents its access token and an openid4vci-proof+jwt over the c_nonce, and receives the SD-JWT VC bound to the proven key.',
    example: {
      credential_configuration_id: 'launch_readiness_sd_jwt',
      proofs: { jwt: ['eyJ0eXAiOiJvcGVuaWQ0dmNpLXByb29mK2p3dCIsImFsZyI6IkVTMjU2In0.eyJub25jZSI6Ik5PTkNFIn0.c2ln'] },
    },
  },
};
