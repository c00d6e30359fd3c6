import { expect } from 'vitest';
import type { PageFetch } from '../../src/web/live-sources.ts';
import type { Harness } from '../support/harness.ts';
import { readinessAssessment } from '../http/helpers.ts';

export interface Issued {
  attestation: string;
  byFormat: Record<'vc+jwt' | 'jwt_vc_json' | 'dc+sd-jwt', string>;
}

/** One attestation in every format, through the API as a tenant issues it. */
export async function issueAll(h: Harness, tenant: string, extra: Record<string, unknown> = {}): Promise<Issued> {
  const res = await h.request('POST', `/v1/t/${tenant}/attestations`, {
    token: h.adminToken,
    body: { assessment: readinessAssessment(), formats: ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'], ...extra },
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = (await res.json()) as { attestation_id: string; credentials: { format: keyof Issued['byFormat']; credential: string }[] };
  return {
    attestation: body.attestation_id,
    byFormat: Object.fromEntries(body.credentials.map((c) => [c.format, c.credential])) as Issued['byFormat'],
  };
}

/** The page's fetch, answered by the app itself as the browser's would be by the site; every URL asked for is recorded. */
export function appFetch(h: Harness): PageFetch & { urls: string[] } {
  const urls: string[] = [];
  const f = async (url: string, init?: Parameters<PageFetch>[1]) => {
    urls.push(url);
    return h.app.fetch(new Request(url, init), h.bindings);
  };
  return Object.assign(f, { urls });
}
