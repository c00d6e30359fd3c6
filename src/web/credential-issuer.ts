import { parseCredential } from '../verify/input.ts';

/**
 * The issuer a credential names, read before anything is verified, to know whose trust bundle to
 * ask this site for; undefined when it cannot be read, and the pipeline then says why. The
 * issuer is never selectively disclosable, so no disclosure needs applying to find it.
 */
export function credentialIssuer(input: unknown): string | undefined {
  let payload: Record<string, unknown>;
  let format: string;
  try {
    ({ payload, format } = parseCredential(input));
  } catch {
    return undefined;
  }
  const vc = typeof payload.vc === 'object' && payload.vc !== null ? (payload.vc as Record<string, unknown>) : {};
  const named = format === 'vc+jwt' ? payload.issuer : (payload.iss ?? vc.issuer);
  const id = typeof named === 'object' && named !== null ? (named as { id?: unknown }).id : named;
  return typeof id === 'string' && id !== '' ? id : undefined;
}
