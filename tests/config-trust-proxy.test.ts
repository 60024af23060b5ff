import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

describe('TRUST_PROXY', () => {
  it('believes no proxy when unset, and reads addresses and CIDR ranges, comma-separated', () => {
    expect(loadConfig({}).TRUST_PROXY).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: '172.16.0.0/12, 127.0.0.1,::1,fd00::/8' }).TRUST_PROXY).toEqual(['172.16.0.0/12', '127.0.0.1', '::1', 'fd00::/8']);
  });

  it.each(['true', 'nginx', '10.0.0.0/33', '10.0.0.1/8/8', ' , '])('refuses %j, naming the variable and the rule', (value) => {
    expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(`TRUST_PROXY=${JSON.stringify(value)}: must be IP addresses or CIDR ranges, comma-separated`);
  });
});
