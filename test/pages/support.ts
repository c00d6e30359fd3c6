import { expect } from 'vitest';
import type { Harness } from '../support/harness.ts';
import { readinessAssessment } from '../http/helpers.ts';

export const FORMATS = ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'] as const;

export interface IssuedAttestation {
  attestation_id: string;
  credentials: { id: string; format: string; credential: string }[];
}

/** Issues one attestation through the API; `tweak` edits the assessment first (a hostile subject, a failing control). */
export async function issueAttestation(
  h: Harness,
  tenant: string,
  options: { failing?: string[]; subject?: Record<string, string>; key?: string; supersedes?: string } = {},
): Promise<IssuedAttestation> {
  const assessment = readinessAssessment({ failing: options.failing ?? [] });
  if (options.subject) Object.assign(assessment.subject, options.subject);
  const res = await h.request('POST', `/v1/t/${tenant}/attestations`, {
    token: h.adminToken,
    body: { assessment, formats: [...FORMATS], ...(options.supersedes ? { supersedes: options.supersedes } : {}) },
    headers: { 'idempotency-key': options.key ?? crypto.randomUUID() },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as IssuedAttestation;
}

export const credentialOf = (issued: IssuedAttestation, format: string) => issued.credentials.find((c) => c.format === format)!;

/** The no-JavaScript path: the verification form posted as a browser posts it. */
export function postForm(h: Harness, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return h.request('POST', '/verify', {
    body: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...headers },
  });
}

/** The report root's stable hooks, read from a page. */
export function reportHooks(page: string) {
  const root = /<section class="report"[^>]*>/.exec(page)?.[0] ?? '';
  const attr = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(root)?.[1];
  return { verdict: attr('data-verdict'), status: attr('data-status'), failedCheck: attr('data-failed-check') };
}

/** Text a reader sees: tags dropped, entities the pages use decoded, whitespace collapsed. */
export function visibleText(page: string): string {
  return page
    .replace(/<\/?(?:a|abbr|code|em|q|span|strong|time|var)\b[^>]*>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/** A signature with one character changed, the rest of the credential as issued. */
export function tamperSignature(credential: string): string {
  const [jws, ...rest] = credential.split('~');
  const parts = jws!.split('.');
  const sig = parts[2]!;
  const i = Math.floor(sig.length / 2);
  parts[2] = `${sig.slice(0, i)}${sig[i] === 'A' ? 'B' : 'A'}${sig.slice(i + 1)}`;
  return [parts.join('.'), ...rest].join('~');
}
