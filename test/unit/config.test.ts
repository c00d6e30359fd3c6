import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/index.ts';
import { generateKeyEncryptionKey } from '../../src/keys/key-crypto.ts';

const problemsOf = (env: Record<string, string>) => {
  try {
    parseConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.join('\n');
    throw e;
  }
  return '';
};

const production = {
  LAUNCHPROOF_ENV: 'production',
  PUBLIC_URL: 'https://issuer.example.com',
  KEY_ENCRYPTION_KEY: generateKeyEncryptionKey(),
};

describe('configuration', () => {
  it('starts a laptop with no settings at all: development, embedded database, localhost URL', () => {
    const c = parseConfig({});
    expect(c).toMatchObject({ environment: 'development', port: 8080, databaseUrl: undefined, bootstrapDemoTenant: true });
    expect(c.publicUrl.origin).toBe('http://localhost:8080');
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('names the variable that is wrong', () => {
    expect(problemsOf({ PORT: 'eighty' })).toMatch(/^PORT:/m);
    expect(problemsOf({ DATABASE_URL: 'mysql://x' })).toMatch(/^DATABASE_URL:/m);
    expect(problemsOf({ KEY_ENCRYPTION_KEY: 'short' })).toMatch(/^KEY_ENCRYPTION_KEY:/m);
    expect(problemsOf({ PUBLIC_URL: 'https://x.example/some/path' })).toMatch(/^PUBLIC_URL:/m);
    expect(problemsOf({ OIDC_ISSUER: 'https://idp.example' })).toMatch(/OIDC_AUDIENCE/);
  });

  it('treats an empty variable as unset', () => {
    expect(parseConfig({ DATABASE_URL: '', PORT: '' })).toMatchObject({ databaseUrl: undefined, port: 8080 });
  });

  it('accepts a complete production configuration and turns the demo tenant off', () => {
    expect(parseConfig(production)).toMatchObject({ environment: 'production', bootstrapDemoTenant: false });
  });

  it('refuses to start production with a development-only setting', () => {
    const { KEY_ENCRYPTION_KEY: _k, ...withoutKek } = production;
    expect(problemsOf(withoutKek)).toMatch(/^KEY_ENCRYPTION_KEY: required in production/m);
    expect(problemsOf({ ...production, BOOTSTRAP_DEMO_TENANT: 'true' })).toMatch(/^BOOTSTRAP_DEMO_TENANT:/m);
    expect(problemsOf({ ...production, PUBLIC_URL: 'http://issuer.example.com' })).toMatch(/^PUBLIC_URL: must be https/m);
    expect(problemsOf({ ...production, OIDC_ISSUER: 'http://idp', OIDC_AUDIENCE: 'x' })).toMatch(/^OIDC_ISSUER: must be https/m);
  });

  it('allows local webhook endpoints only in development with an http PUBLIC_URL, never in production', () => {
    expect(parseConfig({}).webhooksAllowLocal).toBe(false);
    expect(parseConfig({ WEBHOOKS_ALLOW_LOCAL: 'true', PUBLIC_URL: 'http://localhost:8080' }).webhooksAllowLocal).toBe(true);
    expect(problemsOf({ ...production, WEBHOOKS_ALLOW_LOCAL: 'true' })).toMatch(
      /^WEBHOOKS_ALLOW_LOCAL: local webhook endpoints are a development-only setting/m,
    );
    expect(problemsOf({ WEBHOOKS_ALLOW_LOCAL: 'true', PUBLIC_URL: 'https://issuer.example.com' })).toMatch(
      /^WEBHOOKS_ALLOW_LOCAL: only with an http PUBLIC_URL/m,
    );
  });

  it('serves no /metrics unless asked, and never off the loopback interface without a token', () => {
    expect(parseConfig({}).metrics).toEqual({ token: undefined, port: undefined, bindAddress: '127.0.0.1' });
    const token = 'm'.repeat(32);
    expect(parseConfig({ METRICS_PORT: '9464', METRICS_TOKEN: token }).metrics).toEqual({ token, port: 9464, bindAddress: '127.0.0.1' });
    expect(problemsOf({ METRICS_TOKEN: 'short' })).toMatch(/^METRICS_TOKEN: must be 32 to 256/m);
    expect(problemsOf({ METRICS_PORT: '8080' })).toMatch(/^METRICS_PORT: must differ from PORT/m);
    expect(problemsOf({ METRICS_PORT: '9464', METRICS_BIND_ADDRESS: '0.0.0.0' })).toMatch(/^METRICS_BIND_ADDRESS: .* needs METRICS_TOKEN/m);
    expect(parseConfig({ METRICS_PORT: '9464', METRICS_BIND_ADDRESS: '0.0.0.0', METRICS_TOKEN: token }).metrics.bindAddress).toBe(
      '0.0.0.0',
    );
  });

  it('reports every problem at once, not the first one only', () => {
    const { KEY_ENCRYPTION_KEY: _k, PUBLIC_URL: _u, ...bare } = production;
    expect(problemsOf(bare).split('\n')).toHaveLength(2);
  });
});
