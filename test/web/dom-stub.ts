import { runInThisContext } from 'node:vm';

/**
 * Just enough of a DOM to run the real browser build in Node: the elements of the page contract,
 * each recording what the script writes into it. Chromium runs the same build against a real DOM
 * in test/browser; this is the quick check that the bundle itself (not its sources) works.
 */
class StubElement {
  innerHTML = '';
  textContent: string | null = '';
  value = '';
  disabled = false;
  readonly dataset: Record<string, string> = {};
  readonly attributes = new Map<string, string>();
  readonly listeners = new Map<string, ((event: unknown) => void)[]>();
  readonly classList = { add: () => {}, remove: () => {} };
  children: Record<string, StubElement> = {};
  setAttribute(name: string, value: string) {
    this.attributes.set(name, value);
  }
  addEventListener(type: string, listener: (event: unknown) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  querySelector(selector: string): StubElement | null {
    if (selector.startsWith('h1')) return /<h[123][\s>]/.test(this.innerHTML) ? (this.heading as unknown as StubElement) : null;
    const fact = /data-fact="([^"]+)"/.exec(selector)?.[1];
    return fact ? (this.children[fact] ??= new StubElement()) : null;
  }
  querySelectorAll() {
    return [];
  }
  get elements() {
    return [];
  }
  /** The report's heading: the script moves the focus there once the verdict is written. */
  readonly heading = {
    focused: false,
    setAttribute() {},
    focus() {
      this.focused = true;
    },
  };
}

export class StubForm extends StubElement {}
export class StubTextArea extends StubElement {}
export class StubInput extends StubElement {}

export interface StubPage {
  readonly form: StubForm;
  readonly credential: StubTextArea;
  readonly report: StubElement;
  readonly howVerified: StubElement;
  readonly bundleFacts: StubElement;
  readonly embeddedBundle?: StubElement;
}

/** A page holding `credential`, set to verify on load, with the saved verifier's bundle when `bundleText` is given. */
export function stubPage(credential: string, bundleText?: string): StubPage {
  const form = new StubForm();
  form.dataset.autoverify = 'true';
  const textarea = new StubTextArea();
  textarea.value = credential;
  const page: StubPage = {
    form,
    credential: textarea,
    report: new StubElement(),
    howVerified: new StubElement(),
    bundleFacts: new StubElement(),
    ...(bundleText !== undefined ? { embeddedBundle: Object.assign(new StubElement(), { textContent: bundleText }) } : {}),
  };
  return page;
}

/**
 * Runs `script` (an IIFE) against the page, with `fetch` as the only network, and waits until the
 * script has written a verdict or a notice. The globals it sees are removed again afterwards.
 */
export async function runBundle(script: string, page: StubPage, options: { origin: string; fetch: typeof fetch }): Promise<void> {
  const ids: Record<string, unknown> = {
    'verify-form': page.form,
    credential: page.credential,
    report: page.report,
    'how-verified': page.howVerified,
    'bundle-facts': page.bundleFacts,
    'trust-bundle': page.embeddedBundle ?? null,
  };
  const globals: Record<string, unknown> = {
    document: { readyState: 'complete', getElementById: (id: string) => ids[id] ?? null, addEventListener: () => {} },
    location: { origin: options.origin },
    HTMLFormElement: StubForm,
    HTMLTextAreaElement: StubTextArea,
    HTMLInputElement: StubInput,
    fetch: options.fetch,
  };
  const saved = Object.fromEntries(Object.keys(globals).map((k) => [k, Object.getOwnPropertyDescriptor(globalThis, k)]));
  for (const [k, v] of Object.entries(globals)) Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
  try {
    runInThisContext(script);
    for (let i = 0; i < 400 && !/data-verdict=|data-outcome=/.test(page.report.innerHTML); i++) await new Promise((r) => setTimeout(r, 25));
  } finally {
    for (const [k, d] of Object.entries(saved)) {
      if (d) Object.defineProperty(globalThis, k, d);
      else delete (globalThis as Record<string, unknown>)[k];
    }
  }
}
