import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { computeUserHash, verifyUserHash } from './verify-user-hash.js'
import { identityTokenVerifier } from './verify-identity-token.js'
import type { VerifyingSecret } from './verifying-secret.js'

interface Rfc4231Case {
  test_case: number
  key_hex: string
  data_hex: string
  hmac_sha256_hex: string
  truncate_to_bytes?: number
}
const RFC4231: Rfc4231Case[] = JSON.parse(readFileSync(new URL('../../test/fixtures/rfc4231-hmac-sha256.json', import.meta.url), 'utf8'))

function secret(id: string, value: string): VerifyingSecret {
  const key = Buffer.from(value, 'utf8')
  return { id, value, key, verifyIdentityToken: identityTokenVerifier(key) }
}

describe('computeUserHash', () => {
  it.each(RFC4231)('matches RFC 4231 test case $test_case', (tc) => {
    const mac = createHmac('sha256', Buffer.from(tc.key_hex, 'hex')).update(Buffer.from(tc.data_hex, 'hex')).digest('hex')
    const expected = tc.hmac_sha256_hex
    expect(mac.slice(0, expected.length)).toBe(expected)
    // The product's function takes text; where the RFC's key and data are text, it must agree.
    const key = Buffer.from(tc.key_hex, 'hex').toString('latin1')
    const data = Buffer.from(tc.data_hex, 'hex')
    if (/^[\x00-\x7f]*$/.test(key) && /^[\x00-\x7f]*$/.test(data.toString('latin1'))) {
      expect(computeUserHash(key, data.toString('utf8')).slice(0, expected.length)).toBe(expected)
    }
  })

  it('keys with the secret string and hashes the identifier as UTF-8 bytes, exactly as sent', () => {
    expect(computeUserHash('Jefe', 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')
    expect(computeUserHash('s', 'José')).toBe(createHmac('sha256', 's').update(Buffer.from('4a6f73c3a9', 'hex')).digest('hex'))
    expect(computeUserHash('s', ' 42')).not.toBe(computeUserHash('s', '42'))
  })
})

describe('verifyUserHash', () => {
  const active = [secret('sec_old', 'vsk_old'), secret('sec_new', 'vsk_new')]

  it('returns the id of the active secret that made the hash', () => {
    expect(verifyUserHash(active, '42', computeUserHash('vsk_old', '42'))).toBe('sec_old')
    expect(verifyUserHash(active, '42', computeUserHash('vsk_new', '42'))).toBe('sec_new')
  })

  it('accepts upper-case hex', () => {
    expect(verifyUserHash(active, '42', computeUserHash('vsk_new', '42').toUpperCase())).toBe('sec_new')
  })

  it('refuses a hash of another identifier, another secret, or a different byte string', () => {
    expect(verifyUserHash(active, '42', computeUserHash('vsk_new', '43'))).toBeNull()
    expect(verifyUserHash(active, '42', computeUserHash('vsk_other', '42'))).toBeNull()
    expect(verifyUserHash(active, '42', computeUserHash('vsk_new', '42 '))).toBeNull()
    expect(verifyUserHash(active, 'Alice@example.com', computeUserHash('vsk_new', 'alice@example.com'))).toBeNull()
  })

  it.each(['', 'xyz', 'a'.repeat(63), 'a'.repeat(65), 'g'.repeat(64), `${'a'.repeat(62)} `])('refuses the malformed hash %j without throwing', (hash) => {
    expect(verifyUserHash(active, '42', hash)).toBeNull()
  })

  it('refuses everything when the platform has no active secret', () => {
    expect(verifyUserHash([], '42', computeUserHash('vsk_new', '42'))).toBeNull()
  })
})
