import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { parseConfig, type Config } from '../../src/config/index.ts';
import { createApp } from '../../src/http/app.ts';
import { generateKeyEncryptionKey, importKeyEncryptionKey } from '../../src/keys/key-crypto.ts';
import { createJsonLogger } from '../../src/log/logger.ts';
import { bootstrap } from '../../src/use-cases/bootstrap.ts';
import { freshPglite } from '../support/databases.ts';
import { testWebAssets } from '../support/harness.ts';
import { readinessAssessment } from '../http/helpers.ts';
import { chromiumInstalled, launchChromium } from './chromium.ts';

export const ALL_FORMATS = ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'] as const;
export type Format = (typeof ALL_FORMATS)[number];

export { launchChromium };

/** A test drives several page loads, each verifying in the browser; two test files share two cores with the rest of the suite. */
export const BROWSER_TEST_TIMEOUT = 300_000;

/** The tenant's organisation name: the issuer a buyer is told about (the subject is "Acme Corp", "Acme Cloud"). */
export const ISSUER_NAME = 'Acme Assurance Ltd';

/**
 * Without Chromium these tests skip visibly on a developer's machine; under CI (CI=true, set by
 * .ci/run, which installs Debian's chromium) they run anyway, so a missing browser is a failure.
 */
export const skipWithoutChromium = !chromiumInstalled() && process.env.CI !== 'true';
export const NO_CHROMIUM = 'no Chromium at /usr/bin/chromium (apt-get install chromium; CI installs it)';

export interface IssuedAttestation {
  readonly attestationId: string;
  /** The signing key's id as the issuer's JWK Set publishes it. */
  readonly kid: string;
  readonly credentials: Record<Format, { id: string; credential: string }>;
}

export interface ShareLink {
  readonly id: string;
  /** Absolute URL of the share page. */
  readonly url: string;
  readonly token: string;
}

/** A server-side clock the tests can move forward (share expiry); the browser keeps its own. */
function movableClock() {
  let offset = 0;
  const clock = () => new Date(Date.now() + offset);
  clock.advance = (ms: number) => {
    offset += ms;
  };
  clock.reset = () => {
    offset = 0;
  };
  return clock;
}

export interface RunningService {
  readonly origin: string;
  readonly config: Config;
  readonly adminToken: string;
  readonly clock: ReturnType<typeof movableClock>;
  readonly logLines: string[];
  /** A request to the service over real HTTP, with the admin token when `auth` is not false. */
  api(method: string, path: string, body?: unknown, options?: { auth?: boolean }): Promise<Response>;
  createTenant(id: string, name: string): Promise<void>;
  issue(tenant: string, options?: { formats?: readonly Format[]; supersedes?: string }): Promise<IssuedAttestation>;
  /**
   * Changes every format of one attestation at once, then waits until the status lists are
   * re-signed. `reason` is the operator's record; `publicReason` is what buyers are shown.
   */
  setStatus(
    tenant: string,
    attestationId: string,
    status: 'valid' | 'suspended' | 'revoked',
    reasons: { reason: string; publicReason?: string },
  ): Promise<void>;
  share(tenant: string, attestationId: string, body: { reveal: string[]; expires_at: string; label?: string }): Promise<ShareLink>;
  stop(): Promise<void>;
}

/**
 * The real service over real HTTP on 127.0.0.1: a migrated PGlite of its own, the built browser
 * assets, and PUBLIC_URL naming the port it listens on, so the credentials it issues name this
 * origin and the page's script fetches their trust bundle and status lists from it.
 */
export async function startService(): Promise<RunningService> {
  const database = await freshPglite();
  const db = database.db;
  const built: { app?: ReturnType<typeof createApp> } = {};
  // Listening comes first: the DIDs and issuer URLs are built from the origin, which needs the port.
  const server = serve({
    fetch: (req, env: { incoming?: { socket?: { remoteAddress?: string } } }) =>
      built.app
        ? built.app.fetch(req, {
            db,
            ...(env.incoming?.socket?.remoteAddress ? { clientAddress: env.incoming.socket.remoteAddress } : {}),
          })
        : new Response('starting', { status: 503 }),
    port: 0,
    hostname: '127.0.0.1',
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = parseConfig({
    LAUNCHPROOF_ENV: 'test',
    PUBLIC_URL: origin,
    VERIFY_RATE_LIMIT_PER_MINUTE: '100000',
    // A movable clock may stand still for a whole file: the limits are tested elsewhere.
    RATE_LIMIT_OPERATOR_PER_MINUTE: '100000',
    RATE_LIMIT_ISSUANCE_PER_MINUTE: '100000',
    RATE_LIMIT_PUBLIC_PER_MINUTE: '100000',
  });
  const kek = await importKeyEncryptionKey(generateKeyEncryptionKey());
  const clock = movableClock();
  const logLines: string[] = [];
  const outcome = await bootstrap({ db, kek, now: clock() }, { demoTenant: false });
  if (!outcome.adminToken) throw new TypeError('expected a database without API keys');
  const adminToken = outcome.adminToken;
  built.app = createApp({
    config,
    kek,
    clock,
    log: createJsonLogger('warn', (l) => logLines.push(l)),
    fetch: () => Promise.reject(new Error('no network in tests')),
    // The browser bundle the run's global setup built once, as the Node entry builds it at start.
    webAssets: testWebAssets(),
  });

  let stopped: Promise<void> | undefined;
  const api: RunningService['api'] = (method, path, body, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.auth !== false) headers.authorization = `Bearer ${adminToken}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(`${origin}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  };
  const ok = async (res: Response, status: number) => {
    const text = await res.text();
    expect(res.status, `${res.url}: ${text}\n${logLines.filter((l) => l.includes('"error"')).join('\n')}`).toBe(status);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };

  return {
    origin,
    config,
    adminToken,
    clock,
    logLines,
    api,
    createTenant: async (id, name) => {
      await ok(await api('POST', '/v1/tenants', { id, name }), 201);
    },
    issue: async (tenant, options = {}) => {
      const formats = options.formats ?? ALL_FORMATS;
      const body = await ok(
        await api('POST', `/v1/t/${tenant}/attestations`, {
          assessment: readinessAssessment(),
          formats,
          ...(options.supersedes ? { supersedes: options.supersedes } : {}),
        }),
        201,
      );
      const list = body.credentials as { id: string; format: Format; credential: string }[];
      const credentials = Object.fromEntries(
        list.map((c) => [c.format, { id: c.id, credential: c.credential }]),
      ) as IssuedAttestation['credentials'];
      return { attestationId: body.attestation_id as string, kid: body.kid as string, credentials };
    },
    setStatus: async (tenant, attestationId, status, reasons) => {
      await ok(
        await api('PATCH', `/v1/t/${tenant}/attestations/${encodeURIComponent(attestationId)}/status`, {
          status,
          reason: reasons.reason,
          ...(reasons.publicReason ? { public_reason: reasons.publicReason } : {}),
        }),
        200,
      );
    },
    share: async (tenant, attestationId, request) => {
      const body = await ok(await api('POST', `/v1/t/${tenant}/attestations/${encodeURIComponent(attestationId)}/shares`, request), 201);
      return { id: body.id as string, url: body.url as string, token: body.token as string };
    },
    // Once, whoever asks first: a file may stop the server early and again in afterAll.
    stop: () =>
      (stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          // Keep-alive connections from the browser would otherwise hold close() open.
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        await database.dispose();
      })()),
  };
}

/** What the report root says, through the stable hooks, and the text a buyer reads. */
export interface ReportView {
  readonly verdict: string | null;
  readonly status: string | null;
  readonly failedCheck: string | null;
  readonly text: string;
}

/** Waits for the report to appear in `#report` and reads it. */
export async function readReport(page: Page, options: { timeout?: number } = {}): Promise<ReportView> {
  const root = page.locator('#report [data-verdict]').first();
  await root.waitFor({ state: 'attached', timeout: options.timeout ?? 15_000 });
  return {
    verdict: await root.getAttribute('data-verdict'),
    status: await root.getAttribute('data-status'),
    failedCheck: await root.getAttribute('data-failed-check'),
    text: (await root.innerText()).replace(/\s+/g, ' '),
  };
}

/** Pastes a credential into the page's form and submits it, as a buyer would. */
export async function pasteAndSubmit(page: Page, credential: string): Promise<void> {
  await page.locator('#credential').fill(credential);
  // The form's own submit button; a second one may offer the server check instead.
  await page.locator('#verify-form [type="submit"]:not([data-action])').first().click();
}

/** The signed payload with one claim changed, the signature left as it was: what an altered credential looks like. */
export function tamperPayload(credential: string): string {
  const [jws, ...rest] = credential.split('~');
  const [header, payload, signature] = jws!.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
  const altered = JSON.stringify(claims).replace('Acme Cloud', 'Acme Clouf');
  if (altered === JSON.stringify(claims)) throw new TypeError('nothing to alter in this credential');
  const tampered = `${header}.${Buffer.from(altered).toString('base64url')}.${signature}`;
  return [tampered, ...rest].join('~');
}

export interface OpenedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Every request the page made, as `METHOD url`. */
  readonly requests: string[];
  /** What a buyer would never see but a broken page shows: CSP violations, uncaught script errors, and sub-resources that failed (a missing icon, style or script). */
  readonly problems: string[];
}

/**
 * A page in a context of its own (AxeBuilder needs a context from `browser.newContext()`),
 * closed when `use` returns or throws.
 */
export async function withPage<T>(
  browser: Browser,
  use: (opened: OpenedPage) => Promise<T>,
  options: { javaScriptEnabled?: boolean; phone?: boolean } = {},
): Promise<T> {
  const context = await browser.newContext({
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    // A small phone held upright.
    ...(options.phone ? { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}),
  });
  try {
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400 && r.request().resourceType() !== 'document') problems.push(`${r.status()} ${r.url()}`);
    });
    return await use({ page, context, requests, problems });
  } finally {
    await context.close();
  }
}

/**
 * An SD-JWT VC in which the first disclosed control result that passed now says it failed: the
 * issuer-signed part untouched, so only the disclosure check can notice.
 */
export function tamperDisclosure(sdJwt: string): string {
  const segments = sdJwt.split('~');
  const i = segments.findIndex((d, n) => n > 0 && Buffer.from(d, 'base64url').toString('utf8').includes('"pass"'));
  if (i < 0) throw new TypeError('no disclosed result that passed');
  segments[i] = Buffer.from(Buffer.from(segments[i]!, 'base64url').toString('utf8').replace('"pass"', '"fail"')).toString('base64url');
  return segments.join('~');
}

/** Waits until the page says the browser verified it (the script replaces the server’s sentence once it has); the bound is for a hang, not a pace. */
export async function verifiedInBrowser(page: Page): Promise<void> {
  await page.locator('#how-verified', { hasText: /in your browser/i }).waitFor({ timeout: 120_000 });
}

/**
 * For the describe it is called in: the service with the tenant `acme` (named ISSUER_NAME) and one
 * Chromium, handed to `use` before the describe's own beforeAll runs (hooks run in the order they
 * are registered); both stop after the describe. Stopping is idempotent, so a file that stops the
 * service early on purpose loses nothing.
 */
export function serviceAndChromium(use: (service: RunningService, browser: Browser) => void): void {
  let service: RunningService | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    [service, browser] = await Promise.all([startService(), launchChromium()]);
    use(service, browser);
    await service.createTenant('acme', ISSUER_NAME);
  });
  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });
}
