import { execFileSync } from 'node:child_process'

import { describe, expect, it } from 'vitest'

import { userHash } from './user-hash.js'

/** An HMAC computed by OpenSSL, so the expected values do not come from the code under test. */
function opensslHmac(key: string, data: string): string {
  const out = execFileSync('openssl', ['dgst', '-sha256', '-hmac', key], {
    input: Buffer.from(data, 'utf8'),
  }).toString()
  const hex = /([0-9a-f]{64})\s*$/.exec(out)?.[1]
  if (!hex) throw new Error(`unexpected openssl output: ${out}`)
  return hex
}

function call(secret: unknown, identity: unknown): () => string {
  return () => userHash(secret as string, identity as never)
}

describe('userHash', () => {
  it('matches RFC 4231 test case 1 (key 0x0b × 20)', () => {
    expect(userHash('\x0b'.repeat(20), { userId: 'Hi There' })).toBe(
      'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    )
  })

  it('matches RFC 4231 test case 2 (key "Jefe")', () => {
    expect(userHash('Jefe', { userId: 'what do ya want for nothing?' })).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    )
  })

  it('matches the project interop fixtures', () => {
    expect(userHash('s3cr3t', { userId: '123' })).toBe(
      'd9c8b7bbeb363f15c238f053001fa132aeac9a9a1dd000d76f65b95097f0dcba',
    )
    expect(userHash('s3cr3t', { email: 'alice@example.com' })).toBe(
      'ab95b46c56bf1e130a97a04151c226e8916a5b09561edf60d4f91c4a1860f995',
    )
  })

  it('hashes the userId when both userId and email are given', () => {
    const both = userHash('s3cr3t', { userId: '123', email: 'alice@example.com' })
    expect(both).toBe(userHash('s3cr3t', { userId: '123' }))
    expect(both).not.toBe(userHash('s3cr3t', { email: 'alice@example.com' }))
  })

  it('hashes the email when it is the only identifier', () => {
    expect(userHash('s3cr3t', { email: 'alice@example.com' })).toBe(
      opensslHmac('s3cr3t', 'alice@example.com'),
    )
  })

  it('returns 64 lowercase hex characters', () => {
    expect(userHash('s3cr3t', { userId: '42' })).toMatch(/^[0-9a-f]{64}$/)
  })

  it.each([
    ['a user id with accents', 'sécret', { userId: 'José Ñúñez' }, 'José Ñúñez'],
    ['a CJK email', 's3cr3t', { email: '用户@例子.中国' }, '用户@例子.中国'],
    ['an emoji user id', 'πß∂', { userId: 'user-🦊-42' }, 'user-🦊-42'],
  ])('hashes %s as UTF-8, like openssl', (_name, secret, identity, identifier) => {
    expect(userHash(secret, identity)).toBe(opensslHmac(secret, identifier))
  })

  it('uses the exact bytes: no trimming, no case folding', () => {
    const plain = userHash('s3cr3t', { userId: '42' })
    expect(userHash('s3cr3t', { userId: ' 42' })).not.toBe(plain)
    expect(userHash('s3cr3t', { userId: '42 ' })).not.toBe(plain)
    expect(userHash('s3cr3t', { userId: ' 42' })).toBe(opensslHmac('s3cr3t', ' 42'))
    expect(userHash('s3cr3t', { email: 'Ada@Example.com' })).not.toBe(
      userHash('s3cr3t', { email: 'ada@example.com' }),
    )
    expect(userHash('s3cr3t ', { userId: '42' })).not.toBe(plain)
  })

  it('accepts an identifier of exactly 255 characters, counting code points', () => {
    expect(userHash('s3cr3t', { userId: 'x'.repeat(255) })).toMatch(/^[0-9a-f]{64}$/)
    // 255 emoji are 510 UTF-16 code units but 255 characters.
    expect(userHash('s3cr3t', { userId: '🦊'.repeat(255) })).toMatch(/^[0-9a-f]{64}$/)
  })

  describe('throws a TypeError', () => {
    it.each([
      ['the secret is undefined', undefined, /secret must be a string.*got undefined; is the environment variable/],
      ['the secret is a number', 42, /secret must be a string.*got a number/],
      ['the secret is empty', '', /secret is empty/],
      ['the secret ends with a newline', 's3cr3t\n', /secret starts or ends with a line break/],
      ['the secret ends with CRLF', 's3cr3t\r\n', /secret starts or ends with a line break/],
    ])('when %s', (_name, secret, message) => {
      expect(call(secret, { userId: '42' })).toThrow(TypeError)
      expect(call(secret, { userId: '42' })).toThrow(message)
    })

    it.each([
      ['identity is missing', undefined, /identity must be an object.*got undefined/],
      ['identity is a string', '42', /identity must be an object.*got a string/],
      ['identity is null', null, /identity must be an object.*got null/],
      ['identity is empty', {}, /needs a userId or an email/],
      ['both identifiers are undefined', { userId: undefined, email: undefined }, /needs a userId or an email/],
      ['userId is a number', { userId: 42 }, /identity\.userId must be a string, got a number.*String\(id\)/],
      ['userId is a bigint', { userId: 42n }, /identity\.userId must be a string.*String\(id\)/],
      ['userId is null', { userId: null }, /identity\.userId must be a string, got null; leave it out/],
      ['userId is empty', { userId: '' }, /identity\.userId is empty/],
      ['email is empty', { email: '' }, /identity\.email is empty/],
      ['email is not a string', { userId: '42', email: ['a@example.com'] }, /identity\.email must be a string, got an array/],
      ['userId has a NUL', { userId: '4\u00002' }, /identity\.userId contains the control character U\+0000.*400/],
      ['userId ends with a newline', { userId: '42\n' }, /control character U\+000A/],
      ['email has a tab', { email: 'a@example.com\t' }, /identity\.email contains the control character U\+0009/],
      ['userId has a C1 control', { userId: '42\u0085' }, /control character U\+0085/],
      ['userId has DEL', { userId: '42\u007f' }, /control character U\+007F/],
      ['userId has a lone surrogate', { userId: 'a\ud83e' }, /not well-formed Unicode/],
      ['userId is too long', { userId: 'x'.repeat(256) }, /identity\.userId is 256 characters long; Verity accepts at most 255/],
      ['email is too long', { email: `${'a'.repeat(244)}@example.com` }, /identity\.email is 256 characters long/],
      ['a field is misspelt', { userID: '42' }, /unknown field "userID"; did you mean "userId"\?/],
      ['a field is snake_case', { user_id: '42' }, /unknown field "user_id"; did you mean "userId"\?/],
      ['a field is unknown', { userId: '42', name: 'Ada' }, /unknown field "name"; the fields are userId, email/],
      ['attributes are given', { userId: '42', attributes: {} }, /cannot carry attributes; sign them with signIdentityToken/],
    ])('when %s', (_name, identity, message) => {
      expect(call('s3cr3t', identity)).toThrow(TypeError)
      expect(call('s3cr3t', identity)).toThrow(message)
    })

    it('names the function in the message', () => {
      expect(call('s3cr3t', {})).toThrow(/^userHash: /)
    })
  })
})
