import { describe, expect, it } from 'vitest'
import { base32Decode, base32Encode, hotp, totp, verifyTotp } from './totp.js'

// RFC 6238 Appendix B: the seeds are ASCII "1234567890" repeated to the hash's size.
const SEED_SHA1 = Buffer.from('12345678901234567890')
const SEED_SHA256 = Buffer.from('12345678901234567890123456789012')
const SEED_SHA512 = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234')
const VECTORS: Array<[number, string, string, string]> = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
]

describe('TOTP (RFC 6238)', () => {
  it.each(VECTORS)('at %i s gives the RFC 6238 codes for SHA-1, SHA-256 and SHA-512', (t, sha1, sha256, sha512) => {
    expect(totp(SEED_SHA1, t, 8, 'sha1')).toBe(sha1)
    expect(totp(SEED_SHA256, t, 8, 'sha256')).toBe(sha256)
    expect(totp(SEED_SHA512, t, 8, 'sha512')).toBe(sha512)
  })

  it('gives the RFC 4226 HOTP values (Appendix D)', () => {
    const expected = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489']
    expected.forEach((code, counter) => expect(hotp(SEED_SHA1, counter)).toBe(code))
  })

  it('accepts the code of the step before and after, and nothing further or malformed', () => {
    const now = 1_700_000_000
    expect(verifyTotp(SEED_SHA1, totp(SEED_SHA1, now), now)).toBe(true)
    expect(verifyTotp(SEED_SHA1, totp(SEED_SHA1, now - 30), now)).toBe(true)
    expect(verifyTotp(SEED_SHA1, totp(SEED_SHA1, now + 30), now)).toBe(true)
    expect(verifyTotp(SEED_SHA1, totp(SEED_SHA1, now - 90), now)).toBe(false)
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 123456']) expect(verifyTotp(SEED_SHA1, bad, now)).toBe(false)
  })

  it('base32 round-trips (RFC 4648 vector "foobar")', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI')
    expect(base32Decode('MZXW6YTBOI').toString()).toBe('foobar')
    expect(base32Decode(base32Encode(SEED_SHA1)).equals(SEED_SHA1)).toBe(true)
  })
})
