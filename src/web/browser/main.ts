import { renderReport } from '../../pages/report.ts';
import { credentialFromText } from '../../verify/credential-text.ts';
import { esc as escapeHtml } from '../../pages/html.ts';
import { howVerifiedText, notJudgedHtml, SERVER_CHECK_ACTION, unusableEmbeddedBundleHtml } from '../messages.ts';
import type { BrowserOutcome } from '../outcome.ts';
import { openEmbeddedBundle, verifyOffline, type EmbeddedBundle } from '../verify-offline.ts';
import { verifyOnline } from '../verify-online.ts';
import { findPageElements, type PageElements } from './page-elements.ts';
import { droppedText, fileText, InputTooLarge } from './read-input.ts';

type Verifier = (input: unknown) => Promise<BrowserOutcome>;

function showBundleFacts(page: PageElements, facts: EmbeddedBundle['facts']): void {
  for (const [name, value] of Object.entries(facts)) {
    const slot = page.bundleFacts?.querySelector(`[data-fact="${name}"]`);
    if (slot) slot.textContent = value;
  }
}

function setBusy(page: PageElements, busy: boolean): void {
  page.report.setAttribute('aria-busy', String(busy));
  for (const button of page.form.querySelectorAll<HTMLButtonElement | HTMLInputElement>('button, input[type="submit"]'))
    button.disabled = busy;
}

/** Screen readers land on the verdict, not wherever the focus was when the check started. */
function focusHeading(report: HTMLElement): void {
  const heading = report.querySelector<HTMLElement>('h1, h2, h3');
  if (!heading) return;
  heading.setAttribute('tabindex', '-1');
  heading.focus();
}

function say(page: PageElements, html: string): void {
  page.report.innerHTML = html;
  focusHeading(page.report);
}

function wire(page: PageElements, verify: Verifier): void {
  // A slower earlier check must not overwrite the verdict of a later one.
  let latest = 0;
  async function run(text: string): Promise<void> {
    if (text.trim() === '') {
      say(
        page,
        '<section class="notice" data-outcome="empty"><h2>Nothing to verify yet</h2><p>Paste a credential into the box, choose a file, or drop one here.</p></section>',
      );
      return;
    }
    const mine = ++latest;
    setBusy(page, true);
    page.report.innerHTML = '<p class="progress" role="status">Verifying the credential…</p>';
    let outcome: BrowserOutcome;
    try {
      outcome = await verify(credentialFromText(text));
    } catch {
      outcome = { kind: 'unreachable', detail: 'The check stopped before it reached a verdict' };
    }
    if (mine !== latest) return;
    setBusy(page, false);
    page.report.innerHTML = outcome.kind === 'judged' ? renderReport(outcome.report) : notJudgedHtml(outcome, location.origin);
    if (page.howVerified) page.howVerified.textContent = howVerifiedText(outcome);
    focusHeading(page.report);
  }
  const fromFile = async (read: Promise<string | undefined>) => {
    try {
      const text = await read;
      if (text === undefined) return;
      page.credential.value = text;
      await run(text);
    } catch (e) {
      const why = e instanceof InputTooLarge ? e.message : 'the file could not be read';
      say(page, `<section class="notice" data-outcome="unreadable"><h2>Nothing to verify</h2><p>${escapeHtml(why)}.</p></section>`);
    }
  };

  page.form.addEventListener('submit', (event) => {
    // The "check it on the server" button submits the form as a browser without this script would.
    if ((event.submitter as HTMLElement | null)?.dataset.action === SERVER_CHECK_ACTION) return;
    event.preventDefault();
    void run(page.credential.value);
  });
  page.file?.addEventListener('change', () => {
    const chosen = page.file?.files?.[0];
    if (chosen) void fromFile(fileText(chosen));
  });
  page.form.addEventListener('dragover', (event) => {
    event.preventDefault();
    page.form.classList.add('dragging');
  });
  page.form.addEventListener('dragleave', () => page.form.classList.remove('dragging'));
  page.form.addEventListener('drop', (event) => {
    event.preventDefault();
    page.form.classList.remove('dragging');
    void fromFile(droppedText(event.dataTransfer));
  });
  if (page.form.dataset.autoverify === 'true' && page.credential.value.trim() !== '') void run(page.credential.value);
}

async function start(doc: Document): Promise<void> {
  const page = findPageElements(doc);
  if (!page) return;
  if (page.embeddedBundle) {
    // The saved verifier: everything comes from the bundle inside the file, and nothing is fetched.
    const opened = await openEmbeddedBundle(page.embeddedBundle.textContent ?? '');
    if (!opened.ok) {
      say(page, unusableEmbeddedBundleHtml(opened.code, opened.detail));
      for (const control of page.form.elements) (control as HTMLInputElement).disabled = true;
      return;
    }
    showBundleFacts(page, opened.facts);
    wire(page, (input) => verifyOffline(input, opened, new Date()));
    return;
  }
  const origin = new URL(location.origin);
  wire(page, (input) => verifyOnline(input, { origin, fetch: (url, init) => fetch(url, init), clock: () => new Date() }));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => void start(document));
else void start(document);
