/** The elements of the DOM contract the server-rendered pages (and the saved verifier) share with this script. */
export interface PageElements {
  readonly form: HTMLFormElement;
  readonly credential: HTMLTextAreaElement;
  readonly file: HTMLInputElement | null;
  readonly report: HTMLElement;
  readonly howVerified: HTMLElement | null;
  /** Saved verifier only: the trust bundle it holds, as the exact text that was signed. */
  readonly embeddedBundle: HTMLElement | null;
  /** Saved verifier only: where the bundle's DID, kid, digest and date are shown for comparison. */
  readonly bundleFacts: HTMLElement | null;
}

/** The page's elements, or undefined on a page without the verify form (the script then does nothing). */
export function findPageElements(doc: Document): PageElements | undefined {
  const form = doc.getElementById('verify-form');
  const credential = doc.getElementById('credential');
  const report = doc.getElementById('report');
  if (!(form instanceof HTMLFormElement) || !(credential instanceof HTMLTextAreaElement) || !report) return undefined;
  const file = doc.getElementById('credential-file');
  return {
    form,
    credential,
    file: file instanceof HTMLInputElement ? file : null,
    report,
    howVerified: doc.getElementById('how-verified'),
    embeddedBundle: doc.getElementById('trust-bundle'),
    bundleFacts: doc.getElementById('bundle-facts'),
  };
}
