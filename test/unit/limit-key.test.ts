import { describe, expect, it } from 'vitest';
import { limitKey } from '../../src/http/client-address.ts';

/** Rate limits count an IPv6 client by its /64: one subscriber holds all of it. */
describe('the key a client is rate-limited under', () => {
  it('is the /64 of an IPv6 address, however it is written', () => {
    const key = limitKey('2001:db8:1234:5678:aaaa:bbbb:cccc:dddd');
    expect(key).toBe('2001:db8:1234:5678::/64');
    for (const other of ['2001:db8:1234:5678::1', '2001:0db8:1234:5678:0:0:0:ffff', '2001:db8:1234:5678::dead:beef%eth0']) {
      expect(limitKey(other), other).toBe(key);
    }
    expect(limitKey('2001:db8:1234:5679::1')).not.toBe(key);
    expect(limitKey('::1')).toBe('0:0:0:0::/64');
  });

  it('is an IPv4 address whole, also when it arrives inside IPv6', () => {
    expect(limitKey('198.51.100.23')).toBe('198.51.100.23');
    expect(limitKey('::ffff:198.51.100.23')).toBe('::ffff:198.51.100.23');
    expect(limitKey('unknown')).toBe('unknown');
  });
});
