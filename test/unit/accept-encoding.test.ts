import { describe, expect, it } from 'vitest';
import { acceptsGzip } from '../../src/http/accept-encoding.ts';

describe('Accept-Encoding admits gzip (RFC 9110 §12.5.3)', () => {
  it.each([
    ['gzip, deflate, br', true],
    ['br;q=1.0, gzip;q=0.8, *;q=0.1', true],
    ['GZIP', true],
    ['x-gzip', true],
    ['*', true],
    ['deflate, *;q=0.5', true],
  ])('takes gzip from %j', (header, expected) => expect(acceptsGzip(header)).toBe(expected));

  it.each([
    [undefined, false],
    ['', false],
    ['identity', false],
    ['gzip;q=0', false],
    ['gzip;q=0.000, identity', false],
    ['*, gzip;q=0', false],
    ['*;q=0', false],
    ['br, deflate', false],
    ['gzip;q=abc', false],
  ])('sends identity for %j', (header, expected) => expect(acceptsGzip(header)).toBe(expected));
});
