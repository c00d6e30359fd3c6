import { OAuthError, oauthErrorBody } from '../oid4vci/oauth-error.ts';

/** An OAuth error as RFC 6749 §5.2 and RFC 6750 §3 shape it: JSON body, never cached, Bearer challenge on 401. */
export function oauthErrorResponse(e: OAuthError): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (e.status === 401) headers['www-authenticate'] = e.noCredential ? 'Bearer' : `Bearer error="${e.code}"`;
  return new Response(JSON.stringify(oauthErrorBody(e)), { status: e.status, headers });
}

/** The validation hook of a wallet-facing route: a body that does not parse is refused with `code`, OAuth-style (the error handler answers). */
export function oauthValidationHook(code: 'invalid_request' | 'invalid_credential_request') {
  return (result: { success: boolean; error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } }): undefined => {
    if (result.success) return undefined;
    const first = result.error?.issues[0];
    const where = first && first.path.length > 0 ? `${first.path.map(String).join('.')}: ` : '';
    throw new OAuthError(code, `${where}${first?.message ?? 'the request does not parse'}`);
  };
}

export const oauthError = (description: string) => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object' as const,
        required: ['error'],
        properties: { error: { type: 'string' as const }, error_description: { type: 'string' as const } },
      },
    },
  },
});
