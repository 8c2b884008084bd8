import { describe, expect, it } from 'vitest'
import { clientAddress, TrustedProxies } from './client-address.js'

describe('client address', () => {
  const none = new TrustedProxies([])
  const proxies = new TrustedProxies(['10.0.0.0/8', '192.168.1.5', 'fd00::/8'])

  it('is the socket address when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(clientAddress('203.0.113.9', '1.2.3.4', none)).toBe('203.0.113.9')
    expect(clientAddress('::ffff:203.0.113.9', undefined, none)).toBe('203.0.113.9')
  })

  it('is the right-most untrusted X-Forwarded-For address behind trusted proxies', () => {
    expect(clientAddress('10.1.2.3', '198.51.100.7', proxies)).toBe('198.51.100.7')
    // The client forged the left-most entry; the proxy appended the real one.
    expect(clientAddress('10.1.2.3', '1.1.1.1, 198.51.100.7', proxies)).toBe('198.51.100.7')
    expect(clientAddress('10.1.2.3', '198.51.100.7, 192.168.1.5, 10.9.9.9', proxies)).toBe('198.51.100.7')
    expect(clientAddress('fd00::1', ['2001:db8::1, fd00::2'], proxies)).toBe('2001:db8::1')
  })

  it('ignores X-Forwarded-For from a socket that is not a trusted proxy', () => {
    expect(clientAddress('198.51.100.7', '10.0.0.1', proxies)).toBe('198.51.100.7')
  })

  it('stops at garbage rather than believing what lies left of it', () => {
    expect(clientAddress('10.1.2.3', '6.6.6.6, not-an-ip, 10.0.0.9', proxies)).toBe('10.0.0.9')
    expect(clientAddress('10.1.2.3', '', proxies)).toBe('10.1.2.3')
  })

  it('refuses entries that are not addresses or ranges', () => {
    expect(() => new TrustedProxies(['example.com'])).toThrow(/not an IP address/)
    expect(() => new TrustedProxies(['10.0.0.0/33'])).toThrow(/prefix/)
  })
})
