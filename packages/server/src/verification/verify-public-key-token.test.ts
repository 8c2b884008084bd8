import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { PlatformPublicKeys, VerifyingPublicKey } from './platform-public-keys.js'
import { isJwkProblem, readPublicJwk } from './public-jwk.js'
import { verifyIdentityToken } from './verify-identity-token.js'

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
/** An independent ES256/EdDSA signer on node:crypto. */
function signWith(privateKey: KeyObject, header: Record<string, unknown>, payload: Record<string, unknown>): string {
  const input = `${part(header)}.${part(payload)}`
  const data = Buffer.from(input)
  const signature = privateKey.asymmetricKeyType === 'ec' ? sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }) : sign(null, data, privateKey)
  return `${input}.${signature.toString('base64url')}`
}
function pair(type: 'ec' | 'ed25519', kid: string) {
  const { privateKey, publicKey } = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519')
  const read = readPublicJwk({ ...publicKey.export({ format: 'jwk' }), kid })
  if (isJwkProblem(read)) throw new Error(read.message)
  const key: VerifyingPublicKey = { registrationId: `pk_${kid}`, kid, algorithm: read.algorithm, key: read.key }
  return { privateKey, publicKey, key, alg: read.algorithm }
}
const es = pair('ec', 'es')
const ed = pair('ed25519', 'ed')
const keys = (...list: VerifyingPublicKey[]): PlatformPublicKeys => ({
  count: list.length,
  has: (id) => list.some((k) => k.registrationId === id),
  lookup: (kid) => {
    const key = list.find((k) => k.kid === kid)
    return key ? { kind: 'found', key } : { kind: 'unknown' }
  },
})
const KEYS = keys(es.key, ed.key)
const NOW = 1_900_000_000_000
const t = NOW / 1000
const claims = { user_id: '42', iat: t, exp: t + 300 }

describe('verifyIdentityToken with customer-held keys', () => {
  it('accepts ES256 and EdDSA tokens with the key their kid names; the session is the registration', () => {
    expect(verifyIdentityToken(signWith(es.privateKey, { alg: 'ES256', kid: 'es' }, claims), [], NOW, KEYS)).toEqual({ kind: 'valid', identity: { userId: '42', email: null }, secretId: 'pk_es', attributes: null })
    expect(verifyIdentityToken(signWith(ed.privateKey, { alg: 'EdDSA', kid: 'ed' }, { ...claims, attributes: { plan: 'pro' } }), [], NOW, KEYS)).toMatchObject({ kind: 'valid', secretId: 'pk_ed', attributes: { plan: 'pro' } })
  })

  it('applies the HS256 rules: exp with 60 s leeway, nbf, 24-hour lifetime, crit, attributes', () => {
    const v = (payload: Record<string, unknown>, header: Record<string, unknown> = {}) => verifyIdentityToken(signWith(es.privateKey, { alg: 'ES256', kid: 'es', ...header }, payload), [], NOW, KEYS)
    expect(v({ user_id: '42', exp: t - 30 }).kind).toBe('valid')
    expect(v({ user_id: '42', exp: t - 61 })).toMatchObject({ failure: 'expired' })
    expect(v({ user_id: '42' })).toMatchObject({ failure: 'claims' })
    expect(v({ user_id: '42', exp: String(t + 60) })).toMatchObject({ failure: 'claims' })
    expect(v({ user_id: '42', exp: t + 60, nbf: t + 120 })).toMatchObject({ failure: 'claims' })
    expect(v({ user_id: '42', exp: t + 60, nbf: t + 30 }).kind).toBe('valid')
    expect(v({ user_id: '42', iat: t, exp: t + 86_401 })).toMatchObject({ failure: 'lifetime' })
    expect(v({ user_id: '42', exp: t + 2 * 86_400 })).toMatchObject({ failure: 'lifetime' })
    expect(v(claims, { crit: ['b64'], b64: true })).toMatchObject({ failure: 'crit' })
    expect(v({ ...claims, attributes: ['x'] })).toMatchObject({ failure: 'claims' })
    expect(v({ exp: t + 60 })).toEqual({ kind: 'unreadable' })
  })

  it('refuses alg swaps, alg none, HS256 over the public key, tampering and a missing or unknown kid', () => {
    const good = signWith(es.privateKey, { alg: 'ES256', kid: 'es' }, claims)
    const [h, p, s] = good.split('.') as [string, string, string]
    const hs256 = (key: string | Buffer) => {
      const input = `${part({ alg: 'HS256', kid: 'es' })}.${p}`
      return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
    }
    const cases: Array<[string, string]> = [
      [signWith(es.privateKey, { alg: 'EdDSA', kid: 'es' }, claims), 'algorithm'],
      [signWith(ed.privateKey, { alg: 'ES256', kid: 'ed' }, claims), 'algorithm'],
      [signWith(ed.privateKey, { alg: 'EdDSA', kid: 'es' }, claims), 'algorithm'],
      [`${part({ alg: 'none', kid: 'es' })}.${p}.`, 'algorithm'],
      [`${part({ alg: 'ES512', kid: 'es' })}.${p}.${s}`, 'algorithm'],
      [hs256(es.publicKey.export({ format: 'pem', type: 'spki' }) as string), 'algorithm'],
      [hs256(es.publicKey.export({ format: 'der', type: 'spki' })), 'algorithm'],
      [`${h}.${part({ ...claims, user_id: '43' })}.${s}`, 'public_key_signature'],
      // The same 64 bytes, spelt with a spare bit set in the last character: not canonical.
      [`${h}.${p}.${s.slice(0, -1)}${B64URL[B64URL.indexOf(s.at(-1)!) + 1]}`, 'public_key_signature'],
      [`${h}.${p}.${s}AA`, 'public_key_signature'],
      [`${h}.${p}.`, 'public_key_signature'],
      [signWith(es.privateKey, { alg: 'ES256' }, claims), 'unknown_public_key'],
      [signWith(es.privateKey, { alg: 'ES256', kid: 'nope' }, claims), 'unknown_public_key'],
      [signWith(es.privateKey, { alg: 'ES256', kid: 7 }, claims), 'unknown_public_key'],
    ]
    for (const [token, failure] of cases) expect(verifyIdentityToken(token, [], NOW, KEYS), token).toMatchObject({ kind: 'invalid', failure })
  })

  it('answers jwks_unreachable when the lookup says so, and treats ES256 as a wrong algorithm on a platform without keys', () => {
    const unreachable: PlatformPublicKeys = { count: 1, has: () => false, lookup: () => ({ kind: 'unreachable' }) }
    const token = signWith(es.privateKey, { alg: 'ES256', kid: 'es' }, claims)
    expect(verifyIdentityToken(token, [], NOW, unreachable)).toMatchObject({ failure: 'jwks_unreachable' })
    expect(verifyIdentityToken(token, [], NOW)).toMatchObject({ failure: 'algorithm' })
  })
})

describe('readPublicJwk', () => {
  it('names what is wrong with a key', () => {
    const ecJwk = es.publicKey.export({ format: 'jwk' })
    const code = (jwk: unknown) => {
      const read = readPublicJwk(jwk)
      return isJwkProblem(read) ? read.code : 'ok'
    }
    expect(code({ ...ecJwk, kid: 'k' })).toBe('ok')
    expect(code({ ...ecJwk, kid: 'k', alg: 'ES256', use: 'sig', key_ops: ['verify'] })).toBe('ok')
    expect(code({ ...es.privateKey.export({ format: 'jwk' }), kid: 'k' })).toBe('public_key_private')
    expect(code({ kty: 'oct', k: 'AAAA', kid: 'k' })).toBe('public_key_unsupported')
    expect(code({ ...ecJwk, crv: 'P-384', kid: 'k' })).toBe('public_key_unsupported')
    expect(code({ kty: 'OKP', crv: 'Ed448', x: 'A', kid: 'k' })).toBe('public_key_unsupported')
    expect(code({ ...ecJwk, kid: '' })).toBe('public_key_invalid')
    expect(code({ ...ecJwk, kid: 'with space' })).toBe('public_key_invalid')
    expect(code({ ...ecJwk, kid: 'k'.repeat(201) })).toBe('public_key_invalid')
    expect(code({ ...ecJwk, kid: 'k', key_ops: ['sign'] })).toBe('public_key_invalid')
    expect(code({ ...ecJwk, kid: 'k', x: `${ecJwk.x}=` })).toBe('public_key_invalid')
    expect(code([ecJwk])).toBe('public_key_invalid')
  })
})
