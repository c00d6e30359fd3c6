import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { postForm, visibleText } from './support.ts';

describe('the no-JavaScript verification and the API share one rate limit', () => {
  let t: TestDatabase;
  let h: Harness;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db, { env: { VERIFY_RATE_LIMIT_PER_MINUTE: '2' } });
  });
  afterAll(() => t.dispose());

  it('refuses the form past the budget /v1/verify used, as a page saying to wait, with Retry-After', async () => {
    for (let i = 0; i < 2; i++) expect((await h.request('POST', '/v1/verify', { body: { credential: 'x.y.z' } })).status).toBe(200);
    const res = await postForm(h, { credential: 'x.y.z' });
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const text = visibleText(await res.text());
    expect(text).toContain('Wait a minute, then try again.');
    expect(text).toContain('Error code rate_limited');
    h.clock.advanceDays(1);
    expect((await postForm(h, { credential: 'x.y.z' })).status).toBe(200);
  });
});
