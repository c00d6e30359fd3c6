/**
 * Every error the service can answer with, by its stable wire code. Clients branch on these
 * strings, so a code is never renamed or reused; add new ones at the end of a group.
 */
export const ERROR_STATUS = {
  // 400: the request itself is wrong
  malformed_json: 400,
  invalid_request: 400,
  invalid_key_policy: 400,
  unsafe_webhook_url: 400,
  // 401/403: who is asking
  unauthenticated: 401,
  forbidden: 403,
  // 404/405/409/413/415/429: what is asked for
  not_found: 404,
  tenant_not_found: 404,
  key_not_found: 404,
  api_key_not_found: 404,
  assessment_not_found: 404,
  credential_not_found: 404,
  profile_not_found: 404,
  status_list_not_found: 404,
  offer_not_found: 404,
  attestation_not_found: 404,
  share_not_found: 404,
  share_gone: 410,
  log_not_found: 404,
  log_entry_not_found: 404,
  audit_export_not_found: 404,
  audit_export_link_invalid: 403,
  audit_export_gone: 410,
  webhook_not_found: 404,
  subscription_not_found: 404,
  method_not_allowed: 405,
  tenant_exists: 409,
  key_state_conflict: 409,
  idempotency_key_reused: 409,
  profile_exists: 409,
  status_final: 409,
  credential_without_status: 409,
  already_superseded: 409,
  log_entry_pending: 409,
  audit_export_not_ready: 409,
  subscription_limit: 409,
  payload_too_large: 413,
  rate_limited: 429,
  unsupported_media_type: 415,
  // 422: well-formed, but cannot be evaluated as it stands
  invalid_assessment: 422,
  invalid_status_list: 422,
  invalid_presentation: 422,
  credential_not_issuable: 422,
  status_entry_mismatch: 422,
  supersedes_other_subject: 422,
  share_not_presentable: 422,
  subscription_not_confirmed: 422,
  evidence_expires_before_validity: 422,
  evidence_expired: 422,
  // 5xx: our side; the wire never learns more than the code
  internal_error: 500,
  storage_unavailable: 503,
  signing_unavailable: 503,
  status_list_unpublished: 503,
  not_ready: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Short, generic, human titles. They never carry request data. */
export const ERROR_TITLE: Record<ErrorCode, string> = {
  malformed_json: 'The request body is not valid JSON.',
  invalid_request: 'The request does not match the expected shape.',
  invalid_key_policy: 'The key policy is not acceptable.',
  unsafe_webhook_url: 'The webhook endpoint must be an https URL on a public address.',
  unauthenticated: 'A valid credential is required.',
  forbidden: 'The credential does not allow this operation.',
  not_found: 'No such resource.',
  tenant_not_found: 'No such tenant.',
  key_not_found: 'No such signing key.',
  api_key_not_found: 'No such API key.',
  assessment_not_found: 'No such assessment.',
  credential_not_found: 'No such credential.',
  profile_not_found: 'No such readiness profile version.',
  status_list_not_found: 'No such status list.',
  offer_not_found: 'No such open credential offer.',
  attestation_not_found: 'No such attestation.',
  share_not_found: 'No such share link.',
  share_gone: 'The share link has expired or was withdrawn.',
  log_not_found: 'The tenant has no log entries yet.',
  log_entry_not_found: 'No such log entry.',
  audit_export_not_found: 'No such audit export.',
  audit_export_link_invalid: 'The download link is not valid.',
  audit_export_gone: 'The audit export has expired.',
  webhook_not_found: 'No such webhook endpoint.',
  subscription_not_found: 'No such subscription, or the cancel link is not valid.',
  method_not_allowed: 'Method not allowed on this resource.',
  tenant_exists: 'A tenant with this id already exists.',
  key_state_conflict: 'The signing key is not in a state that allows this.',
  idempotency_key_reused: 'This Idempotency-Key was already used with a different request.',
  profile_exists: 'This profile version already exists and cannot change.',
  status_final: 'The credential is revoked; a revocation cannot be undone.',
  credential_without_status: 'The credential was issued without a status list entry.',
  already_superseded: 'That attestation has already been superseded by another.',
  log_entry_pending: 'The log entry is committed but not yet sequenced; retry shortly.',
  audit_export_not_ready: 'The audit export is still being built; retry shortly.',
  subscription_limit: 'This share link has as many subscriptions as it may have.',
  payload_too_large: 'The request body is too large.',
  rate_limited: 'Too many requests from this client; retry later.',
  unsupported_media_type: 'The request body must be application/json.',
  invalid_assessment: 'The assessment cannot be evaluated against its readiness profile.',
  invalid_status_list: 'The status list cannot be decoded.',
  invalid_presentation: 'The credential cannot be presented as asked.',
  credential_not_issuable: 'The credential cannot be issued as given: this issuer computes its own claims.',
  status_entry_mismatch: 'The status entry named is not one the credential carries.',
  supersedes_other_subject: 'An attestation can only supersede one of the same subject.',
  share_not_presentable: 'The attestation cannot be shared revealing what was asked.',
  subscription_not_confirmed: 'The endpoint did not answer the subscription challenge.',
  evidence_expires_before_validity: 'Evidence a passing control relies on expires before the validity asked for ends.',
  evidence_expired: 'Evidence a passing control relies on has already expired.',
  internal_error: 'An internal error occurred.',
  storage_unavailable: 'Storage is unavailable.',
  signing_unavailable: 'No signing key is available for this issuer.',
  status_list_unpublished: 'The status list has no signed copy yet.',
  not_ready: 'The service is not ready to serve requests.',
};

/**
 * Seconds a client should wait before trying again (the Retry-After header), for the codes that
 * mean "not now" rather than "not this": storage comes back within a second or two of the
 * database accepting connections again (src/runtime/postgres/database.ts caps the reconnect backoff).
 */
export const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = {
  storage_unavailable: 2,
  // The sweep signs a list that lacks a copy within its next run.
  status_list_unpublished: 30,
  // The sequencer runs within a second of a commit (docs/transparency-log.md).
  log_entry_pending: 1,
  audit_export_not_ready: 2,
};
