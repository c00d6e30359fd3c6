import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/port.ts';
import { startTenantWork } from '../../src/store/tenant-work.ts';

const until = async (ok: () => boolean, ms = 3_000) => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return ok();
};

describe('work per tenant off the request path', () => {
  it('tries a failed run again by itself, with no poll (the embedded database), until it succeeds', async () => {
    const calls: string[] = [];
    const errors: string[] = [];
    let failuresLeft = 2;
    const work = startTenantWork(
      {} as Database,
      async (tenantId) => {
        calls.push(tenantId);
        if (failuresLeft-- > 0) throw new Error('database went away');
      },
      { waiting: async () => [], subscribe: () => () => {}, pollMs: false, onError: (t) => errors.push(t), retryMs: 20 },
    );
    work.kick('acme');
    expect(await until(() => calls.length === 3)).toBe(true);
    expect(errors).toEqual(['acme', 'acme']);
    // Once it succeeded, nothing more is tried.
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toHaveLength(3);
    await work.stop();
  });

  it('tries nothing again once stopped', async () => {
    const calls: string[] = [];
    const work = startTenantWork(
      {} as Database,
      async (tenantId) => {
        calls.push(tenantId);
        throw new Error('down');
      },
      { waiting: async () => [], subscribe: () => () => {}, pollMs: false, onError: () => {}, retryMs: 20 },
    );
    work.kick('acme');
    await work.settled();
    await work.stop();
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toEqual(['acme']);
  });
});
