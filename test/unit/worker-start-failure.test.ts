import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/index.ts';
import { AppError } from '../../src/errors/index.ts';
import { startFailureResponse } from '../../src/runtime/workers/start-failure.ts';

/**
 * What a Worker isolate answers when it cannot serve a request at all (its first database
 * round trip confirms the connecting role and the deployment's origin). An unreachable database
 * is an outage that passes: 503 with Retry-After, as the Node service answers, never 500.
 * (Miniflare's local Hyperdrive serves every binding through one proxy, so a Worker with a
 * database that cannot be reached could not be set up beside the others in the workerd test.)
 */
describe('a Worker that cannot serve', () => {
  it('answers 503 storage_unavailable with Retry-After while its database cannot be reached', async () => {
    const res = startFailureResponse(new AppError('storage_unavailable', 'PostgreSQL unavailable (ECONNREFUSED)'));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as { code: string; detail?: string };
    expect(body.code).toBe('storage_unavailable');
    expect(JSON.stringify(body)).not.toContain('ECONNREFUSED');
  });

  it('answers 500 for a deployment that is wrong, naming nothing of it on the wire', async () => {
    const res = startFailureResponse(new ConfigError(['KEY_ENCRYPTION_KEY: required in production']));
    expect(res.status).toBe(500);
    expect(res.headers.get('retry-after')).toBeNull();
    const text = await res.text();
    expect(text).toContain('internal_error');
    expect(text).not.toContain('KEY_ENCRYPTION_KEY');
  });
});
