/**
 * The runtime-free half of the guarded edge (src/outbound/): which URLs and addresses it lets
 * through, with and without the development allowance, and what it hands each kind of edge.
 * The fake edges here record what they are given; real sockets are in test/node/guarded-edge.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { OutboundError } from '../../src/outbound/errors.ts';
import { createGuardedRequest } from '../../src/outbound/guarded-request.ts';
import { parseOutboundUrl } from '../../src/outbound/outbound-url.ts';
import { addressRuleFor } from '../../src/outbound/policy.ts';
import { isLoopbackAddress } from '../../src/outbound/public-address.ts';

const code = (work: () => unknown): string | undefined => {
  try {
    work();
    return undefined;
  } catch (error) {
    return error instanceof OutboundError ? error.code : 'not an OutboundError';
  }
};

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.3.4', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['128.0.0.1', false],
    ['10.0.0.1', false],
    ['::', false],
    ['::2', false],
    ['::ffff:10.0.0.1', false],
    ['fe80::1', false],
    ['localhost', false],
  ])('%s -> %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});

describe('the development allowance (allowLoopbackHttp)', () => {
  const allow = { allowLoopbackHttp: true };

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://127.3.0.1/hook',
    'http://[::1]:3000/',
    'http://localhost:3000/',
    'http://localhost./',
    'https://localhost:8443/',
    'https://[::ffff:127.0.0.1]/',
  ])('lets %s through when on, and refuses it when off', (url) => {
    expect(code(() => parseOutboundUrl(url, allow))).toBeUndefined();
    expect(code(() => parseOutboundUrl(url))).toBe('unsafe_url');
  });

  it.each([
    'http://issuer.example/',
    'http://93.184.216.34/',
    'http://10.0.0.1/',
    'https://192.168.0.1/',
    'https://[fd00::1]/',
    'http://a.localhost/',
    'https://vault.internal/',
    'http://user:pw@localhost/',
    'http://localhost:22/',
    'ftp://localhost/',
  ])('still refuses %s', (url) => {
    expect(code(() => parseOutboundUrl(url, allow))).toBe('unsafe_url');
  });

  it('lets plain http connect to loopback addresses only, whatever the policy says of https', () => {
    const http = addressRuleFor(new URL('http://localhost/'), allow);
    expect(['127.0.0.1', '::1'].map(http)).toEqual([true, true]);
    expect(['93.184.216.34', '10.0.0.1'].map(http)).toEqual([false, false]);
    const https = addressRuleFor(new URL('https://issuer.example/'), allow);
    expect(['127.0.0.1', '93.184.216.34', '10.0.0.1'].map(https)).toEqual([true, true, false]);
    const strict = addressRuleFor(new URL('https://issuer.example/'), {});
    expect(['127.0.0.1', '93.184.216.34'].map(strict)).toEqual([false, true]);
  });
});

describe('the guarded request, over a fake edge', () => {
  it('sends any method with its headers and body, asking the edge not to follow redirects', async () => {
    const seen: Request[] = [];
    const request = createGuardedRequest({
      edge: async (r) => {
        seen.push(r);
        return new Response('ok', { status: 201 });
      },
    });
    const result = await request({ url: 'https://hooks.example/in', method: 'POST', headers: { 'x-a': '1' }, body: 'payload' });
    expect(result.status).toBe(201);
    expect(new TextDecoder().decode(result.body)).toBe('ok');
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.redirect).toBe('manual');
    expect(seen[0]!.headers.get('x-a')).toBe('1');
    expect(await seen[0]!.text()).toBe('payload');
  });

  it('hands a pinning edge the address rule and does not resolve the name itself', async () => {
    let asked = 0;
    let rule: ((address: string) => boolean) | undefined;
    const request = createGuardedRequest({
      edge: {
        sendPinned: async (_r, allowed) => {
          rule = allowed;
          return new Response('pinned');
        },
      },
      resolveHost: async () => {
        asked++;
        return ['10.0.0.1'];
      },
    });
    await request({ url: 'https://issuer.example/' });
    expect(asked).toBe(0);
    expect([rule!('93.184.216.34'), rule!('10.0.0.1'), rule!('127.0.0.1')]).toEqual([true, false, false]);
  });

  it('keeps what broke the connection as the cause, out of the message', async () => {
    const request = createGuardedRequest({
      edge: async () => {
        throw new TypeError('connect ECONNREFUSED secret-host');
      },
    });
    const error = await request({ url: 'https://issuer.example/' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboundError);
    expect(error).toMatchObject({ code: 'network', message: 'network error' });
    expect(((error as OutboundError).cause as Error).message).toContain('ECONNREFUSED');
  });

  it('passes an edge refusal through with its own code', async () => {
    const request = createGuardedRequest({
      edge: async () => {
        throw new OutboundError('unsafe_url', 'host name resolves to an address that is not public');
      },
    });
    await expect(request({ url: 'https://issuer.example/' })).rejects.toMatchObject({ code: 'unsafe_url' });
  });

  it('treats a method the Fetch standard forbids as the caller mistake it is', async () => {
    const request = createGuardedRequest({ edge: async () => new Response('') });
    await expect(request({ url: 'https://issuer.example/', method: 'CONNECT' })).rejects.toBeInstanceOf(TypeError);
  });
});
