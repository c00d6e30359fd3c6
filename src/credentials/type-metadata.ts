import template from '../../wellknown/types/launch-readiness.json' with { type: 'json' };
import { base64Encode } from '../util/base64.ts';
import { sha256 } from '../util/sha256.ts';
import { attestationUrls } from './urls.ts';

export interface PublishedTypeMetadata {
  readonly document: Record<string, unknown>;
  /** The exact bytes served: `vct#integrity` is computed over these, so they must never be re-serialised. */
  readonly body: string;
  /** W3C Subresource Integrity string (`sha256-<base64>`), the form SD-JWT VC's `#integrity` uses. */
  readonly integrity: string;
}

const cache = new Map<string, Promise<PublishedTypeMetadata>>();

async function build(origin: URL): Promise<PublishedTypeMetadata> {
  // The vct embeds the deployment's origin, so the document is the static template plus its vct.
  const document = { vct: attestationUrls(origin).vct, ...template };
  const body = JSON.stringify(document);
  const digest = await sha256(body);
  return { document, body, integrity: `sha256-${base64Encode(digest)}` };
}

/** The SD-JWT VC type metadata of the readiness attestation for this deployment. */
export function typeMetadata(origin: URL): Promise<PublishedTypeMetadata> {
  let pending = cache.get(origin.origin);
  if (!pending) {
    pending = build(origin);
    cache.set(origin.origin, pending);
  }
  return pending;
}
