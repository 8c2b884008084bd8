import { execFileSync } from 'node:child_process'
import { createHmac, generateKeyPairSync, timingSafeEqual, verify, type KeyObject } from 'node:crypto'

import { describe, expect, it } from 'vitest'

import { signIdentityToken } from './sign-identity-token.js'

const secret = 's3cr3t'
const now = new Date('2030-01-01T00:00:00Z')
const nowSeconds = 1893456000

/** Splits a compact JWS and decodes it, refusing anything but unpadded base64url. */
function decode(token: string) {
  const parts = token.split('.')
  expect(parts).toHaveLength(3)
  for (const part of parts) expect(part).toMatch(/^[A-Za-z0-9_-]+$/)
  const [header, payload, signature] = parts as [string, string, string]
  return {
    headerJson: Buffer.from(header, 'base64url').toString('utf8'),
    payloadJson: Buffer.from(payload, 'base64url').toString('utf8'),
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
    signingInput: `${header}.${payload}`,
    signature: Buffer.from(signature, 'base64url'),
  }
}

/** Checks the signature the way a verifier would, independently of the code under test. */
function verifies(token: string, key: string): boolean {
  const { signingInput, signature } = decode(token)
  const expected = createHmac('sha256', Buffer.from(key, 'utf8')).update(signingInput).digest()
  return signature.length === expected.length && timingSafeEqual(signature, expected)
}

/** Signs with the test secret and clock, for 60 s unless the options say otherwise. */
function sign(identity: Parameters<typeof signIdentityToken>[1], options: object = {}): string {
  return signIdentityToken(secret, identity, { expiresIn: 60, now, ...options })
}

function call(secretArg: unknown, identity: unknown, options: unknown): () => string {
  return () => signIdentityToken(secretArg as string, identity as never, options as never)
}

describe('signIdentityToken', () => {
  it('writes the expected header and payload, byte for byte', () => {
    const token = signIdentityToken(
      secret,
      { userId: '42', email: 'ada@example.com' },
      { expiresIn: 600, now },
    )
    const { headerJson, payloadJson } = decode(token)
    expect(headerJson).toBe('{"alg":"HS256","typ":"JWT"}')
    expect(payloadJson).toBe(
      `{"user_id":"42","email":"ada@example.com","iat":${nowSeconds},"exp":${nowSeconds + 600}}`,
    )
  })

  it('signs with HMAC-SHA256 over header.payload, keyed by the secret', () => {
    const token = signIdentityToken(secret, { userId: '42' }, { expiresIn: 600, now })
    expect(verifies(token, secret)).toBe(true)
    expect(verifies(token, 'another secret')).toBe(false)
  })

  it('agrees with a signature made by openssl', () => {
    const token = signIdentityToken('sécret', { userId: 'José' }, { expiresIn: 60, now })
    const { signingInput, signature } = decode(token)
    const mac = execFileSync('openssl', ['dgst', '-sha256', '-hmac', 'sécret', '-binary'], {
      input: signingInput,
    })
    expect(signature.equals(mac)).toBe(true)
  })

  it('always produces a token without padding', () => {
    // Identifiers of every length mod 3, so that some encodings would need '=' padding.
    for (const userId of ['1', '12', '123', '1234', '12345', '123456']) {
      const token = signIdentityToken(secret, { userId }, { expiresIn: 60, now })
      expect(token).not.toContain('=')
      expect(decode(token).payload.user_id).toBe(userId)
    }
  })

  it('adds kid to the header when a keyId is given, and leaves it out otherwise', () => {
    const withKid = sign({ userId: '42' }, { keyId: 'sec_123' })
    expect(decode(withKid).headerJson).toBe('{"alg":"HS256","typ":"JWT","kid":"sec_123"}')
    expect(verifies(withKid, secret)).toBe(true)

    const withoutKid = sign({ userId: '42' })
    expect(decode(withoutKid).header).not.toHaveProperty('kid')
  })

  it('sets iat to now in whole seconds and exp to iat + expiresIn', () => {
    const at = new Date('2030-01-01T00:00:00.999Z')
    const { payload } = decode(sign({ userId: '42' }, { expiresIn: 3600, now: at }))
    expect(payload.iat).toBe(nowSeconds)
    expect(payload.exp).toBe(nowSeconds + 3600)
  })

  it('uses the current time when now is not given', () => {
    const before = Math.floor(Date.now() / 1000)
    const { payload } = decode(signIdentityToken(secret, { userId: '42' }, { expiresIn: 60 }))
    const after = Math.floor(Date.now() / 1000)
    expect(payload.iat).toBeGreaterThanOrEqual(before)
    expect(payload.iat).toBeLessThanOrEqual(after)
    expect(payload.exp - payload.iat).toBe(60)
  })

  it('carries user_id alone, email alone, or both', () => {
    const times = { iat: nowSeconds, exp: nowSeconds + 60 }
    expect(decode(sign({ userId: '42' })).payload).toEqual({ user_id: '42', ...times })
    expect(decode(sign({ email: 'a@example.com' })).payload).toEqual({
      email: 'a@example.com',
      ...times,
    })
    expect(decode(sign({ userId: '42', email: 'a@example.com' })).payload).toEqual({
      user_id: '42',
      email: 'a@example.com',
      ...times,
    })
  })

  it('signs the attributes as given', () => {
    const attributes = {
      plan: 'pro',
      seats: 5,
      admin: false,
      tags: ['a', 'b'],
      org: { id: 'o1', parent: null },
    }
    const token = sign({ userId: '42', attributes })
    const { payload } = decode(token)
    expect(payload.attributes).toEqual(attributes)
    expect(Object.keys(payload)).toEqual(['user_id', 'attributes', 'iat', 'exp'])
    expect(verifies(token, secret)).toBe(true)
  })

  it('accepts an object without a prototype as attributes', () => {
    const attributes: Record<string, unknown> = Object.create(null)
    attributes.plan = 'pro'
    expect(decode(sign({ userId: '42', attributes })).payload.attributes).toEqual({ plan: 'pro' })
  })

  it('encodes unicode identifiers and attributes as UTF-8', () => {
    const { payload } = decode(
      sign({ userId: 'user-🦊', email: '用户@例子.中国', attributes: { name: 'José Ñúñez' } }),
    )
    expect(payload.user_id).toBe('user-🦊')
    expect(payload.email).toBe('用户@例子.中国')
    expect(payload.attributes).toEqual({ name: 'José Ñúñez' })
  })

  describe('throws a TypeError', () => {
    const ok = { expiresIn: 60 }

    it.each([
      ['the secret is undefined', undefined, /^signIdentityToken: secret must be a string.*env/],
      ['the secret is empty', '', /secret is empty/],
      ['the secret ends with a newline', 's3cr3t\n', /line break/],
    ])('when %s', (_name, badSecret, message) => {
      expect(call(badSecret, { userId: '42' }, ok)).toThrow(TypeError)
      expect(call(badSecret, { userId: '42' }, ok)).toThrow(message)
    })

    it.each([
      ['identity names nobody', {}, /needs a userId or an email/],
      ['identity is only attributes', { attributes: { plan: 'pro' } }, /needs a userId or an email/],
      ['userId is a number', { userId: 42 }, /identity\.userId must be a string, got a number.*String\(id\)/],
      ['email is empty', { email: '' }, /identity\.email is empty/],
      ['userId has a control character', { userId: '42\n' }, /control character U\+000A/],
      ['userId is too long', { userId: 'x'.repeat(256) }, /at most 255/],
      ['a field is misspelt', { user_id: '42' }, /unknown field "user_id"; did you mean "userId"\?/],
      ['a field is unknown', { userId: '42', plan: 'pro' }, /unknown field "plan"; the fields are userId, email, attributes/],
      ['attributes is null', { userId: '42', attributes: null }, /identity\.attributes must be a plain object.*got null/],
      ['attributes is an array', { userId: '42', attributes: ['pro'] }, /must be a plain object.*got an array/],
      ['attributes is a string', { userId: '42', attributes: '{"plan":"pro"}' }, /must be a plain object.*got a string/],
      ['attributes is a Map', { userId: '42', attributes: new Map() }, /must be a plain object.*got a Map/],
      ['an attribute is undefined', { userId: '42', attributes: { plan: undefined } }, /identity\.attributes\.plan is undefined/],
      ['an attribute is a Date', { userId: '42', attributes: { since: new Date(0) } }, /attributes\.since is a Date; pass date\.toISOString\(\)/],
      ['an attribute is NaN', { userId: '42', attributes: { score: Number.NaN } }, /attributes\.score is NaN/],
      ['an attribute is a bigint', { userId: '42', attributes: { big: 1n } }, /attributes\.big is a bigint/],
      ['an attribute is a function', { userId: '42', attributes: { f: () => 1 } }, /attributes\.f is a function/],
      ['a nested attribute is wrong', { userId: '42', attributes: { org: { tags: ['a', undefined] } } }, /attributes\.org\.tags\[1\] is undefined/],
      ['an array has a hole', { userId: '42', attributes: { tags: [1, , 3] } }, /attributes\.tags\[1\] is undefined/],
      ['an attribute is a class instance', { userId: '42', attributes: { at: new URL('https://example.com') } }, /attributes\.at is a URL, not a plain object/],
      ['an odd key is wrong', { userId: '42', attributes: { 'a-b': undefined } }, /attributes\["a-b"\] is undefined/],
    ])('when %s', (_name, identity, message) => {
      expect(call(secret, identity, ok)).toThrow(TypeError)
      expect(call(secret, identity, ok)).toThrow(message)
    })

    it('when attributes refer back to themselves', () => {
      const attributes: Record<string, unknown> = { plan: 'pro' }
      attributes.self = attributes
      expect(call(secret, { userId: '42', attributes }, ok)).toThrow(
        /attributes\.self refers back to itself/,
      )
    })

    it('accepts the same object twice when it is not a cycle', () => {
      const shared = { id: 'o1' }
      expect(call(secret, { userId: '42', attributes: { a: shared, b: shared } }, ok)).not.toThrow()
    })

    it.each([
      ['options are missing', undefined, /options must be an object such as \{ expiresIn: 600 \}, got undefined/],
      ['expiresIn is missing', {}, /options\.expiresIn must be a number of seconds such as 600, got undefined/],
      ['expiresIn is a string', { expiresIn: '10m' }, /options\.expiresIn must be a number of seconds.*got a string/],
      ['expiresIn is zero', { expiresIn: 0 }, /positive whole number of seconds, got 0/],
      ['expiresIn is negative', { expiresIn: -60 }, /positive whole number of seconds, got -60/],
      ['expiresIn is fractional', { expiresIn: 1.5 }, /positive whole number of seconds, got 1.5/],
      ['expiresIn is Infinity', { expiresIn: Infinity }, /positive whole number of seconds, got Infinity/],
      ['expiresIn is NaN', { expiresIn: Number.NaN }, /positive whole number of seconds, got NaN/],
      ['expiresIn is past the safe integers', { expiresIn: 2 ** 53 }, /positive whole number/],
      ['expiresIn is over a day', { expiresIn: 86_401 }, /options\.expiresIn must be at most 86400 seconds \(24 hours\), got 86401/],
      ['keyId is empty', { expiresIn: 60, keyId: '' }, /options\.keyId must be the id of the Verity secret.*got an empty string/],
      ['keyId is a number', { expiresIn: 60, keyId: 7 }, /options\.keyId .*got a number/],
      ['now is a number', { expiresIn: 60, now: Date.now() }, /options\.now must be a valid Date, got a number/],
      ['now is an invalid Date', { expiresIn: 60, now: new Date('nope') }, /options\.now must be a valid Date/],
      ['an option is misspelt', { expiresIn: 60, kid: 'sec_1' }, /options has an unknown field "kid"; the fields are expiresIn, keyId, now/],
      ['expires_in is used', { expires_in: 60 }, /unknown field "expires_in"/],
    ])('when %s', (_name, options, message) => {
      expect(call(secret, { userId: '42' }, options)).toThrow(TypeError)
      expect(call(secret, { userId: '42' }, options)).toThrow(message)
    })
  })
})

describe('signIdentityToken with a private key (customer-held keys)', () => {
  const es = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ed = generateKeyPairSync('ed25519')
  const options = { expiresIn: 60, now, keyId: 'key-2030' }

  /** Verifies with node:crypto's own verify, as the server does, independently of the signer. */
  function verifiesWith(token: string, publicKey: KeyObject): boolean {
    const { signingInput, signature } = decode(token)
    const data = Buffer.from(signingInput)
    return publicKey.asymmetricKeyType === 'ec'
      ? verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)
      : verify(null, data, publicKey, signature)
  }

  it.each([
    ['an EC P-256 KeyObject', es.privateKey, es.publicKey, 'ES256'],
    ['an EC P-256 PEM (PKCS#8)', es.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, es.publicKey, 'ES256'],
    ['an EC P-256 PEM (SEC1, as openssl ecparam writes it)', es.privateKey.export({ format: 'pem', type: 'sec1' }) as string, es.publicKey, 'ES256'],
    ['a private EC JWK', es.privateKey.export({ format: 'jwk' }), es.publicKey, 'ES256'],
    ['an Ed25519 KeyObject', ed.privateKey, ed.publicKey, 'EdDSA'],
    ['an Ed25519 PEM', ed.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, ed.publicKey, 'EdDSA'],
    ['a private Ed25519 JWK', ed.privateKey.export({ format: 'jwk' }), ed.publicKey, 'EdDSA'],
  ] as const)('signs with %s, the algorithm following from the key', (_, key, publicKey, alg) => {
    const token = signIdentityToken(key, { userId: '42', attributes: { plan: 'pro' } }, options)
    const { header, payload, signature } = decode(token)
    expect(header).toEqual({ alg, typ: 'JWT', kid: 'key-2030' })
    expect(payload).toEqual({ user_id: '42', attributes: { plan: 'pro' }, iat: nowSeconds, exp: nowSeconds + 60 })
    expect(signature).toHaveLength(64)
    expect(verifiesWith(token, publicKey)).toBe(true)
  })

  it('refuses public keys, other key types and curves, and a private key without keyId', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
    expect(() => signIdentityToken(es.publicKey as never, { userId: '42' }, options)).toThrow(/public key/)
    expect(() => signIdentityToken(es.publicKey.export({ format: 'pem', type: 'spki' }) as string, { userId: '42' }, options)).toThrow(/not a private key/)
    expect(() => signIdentityToken(es.publicKey.export({ format: 'jwk' }), { userId: '42' }, options)).toThrow(/has no "d"/)
    expect(() => signIdentityToken(rsa.privateKey, { userId: '42' }, options)).toThrow(/rsa key cannot sign/)
    expect(() => signIdentityToken(p384.privateKey, { userId: '42' }, options)).toThrow(/P-256/)
    expect(() => signIdentityToken(es.privateKey, { userId: '42' }, { expiresIn: 60 })).toThrow(/keyId is required/)
    expect(() => signIdentityToken([] as never, { userId: '42' }, options)).toThrow(/key must be a platform secret/)
  })
})
