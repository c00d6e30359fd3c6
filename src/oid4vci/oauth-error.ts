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
  invalid_token: 401,
} as const;

export type OAuthErrorCode = keyof typeof OAUTH_ERROR_STATUS;

/** `description` goes on the wire: it must never carry a secret the caller sent. */
export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly status: (typeof OAUTH_ERROR_STATUS)[OAuthErrorCode];
  constructor(code: OAuthErrorCode, description: string) {
    super(description);
    this.name = 'OAuthError';
    this.code = code;
    this.status = OAUTH_ERROR_STATUS[code];
  }
}

export function oauthErrorBody(e: OAuthError): { error: OAuthErrorCode; error_description: string } {
  return { error: e.code, error_description: e.message };
}
