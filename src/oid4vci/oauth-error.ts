/**
 * The OAuth-shaped errors of the wallet-facing endpoints. RFC 6749 §5.2 and OID4VCI 1.0 §6.3,
 * §8.3.1 name both the body (`{error, error_description}`) and the codes, and wallets branch on
 * them, so these endpoints answer in that shape instead of our problem+json. Each code has one
 * fixed HTTP status here; the mapping never changes once published.
 */
export const OAUTH_ERROR_STATUS = {
  invalid_request: 400,
  invalid_grant: 400,
  unsupported_grant_type: 400,
  invalid_credential_request: 400,
  unknown_credential_configuration: 400,
  invalid_proof: 400,
  invalid_nonce: 400,
  /** §8.3.1.2: the issuer will not grant it, however the wallet asks (evidence it relies on has expired). */
  credential_request_denied: 400,
  invalid_token: 401,
} as const;

export type OAuthErrorCode = keyof typeof OAUTH_ERROR_STATUS;

/** `description` goes on the wire: it must never carry a secret the caller sent. */
export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly status: (typeof OAUTH_ERROR_STATUS)[OAuthErrorCode];
  /**
   * The request carried no credential at all: RFC 6750 §3.1 says its challenge then SHOULD NOT
   * carry an error code, so the 401 challenges with a bare `Bearer` (issue 11, defect 13).
   */
  readonly noCredential: boolean;
  constructor(code: OAuthErrorCode, description: string, options: { noCredential?: boolean } = {}) {
    super(description);
    this.name = 'OAuthError';
    this.code = code;
    this.status = OAUTH_ERROR_STATUS[code];
    this.noCredential = options.noCredential ?? false;
  }
}

export function oauthErrorBody(e: OAuthError): { error: OAuthErrorCode; error_description: string } {
  return { error: e.code, error_description: e.message };
}
