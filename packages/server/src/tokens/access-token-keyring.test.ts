import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { AccessTokenKeyring } from './access-token-keyring.js'

const key = (id: string, createdAt: string) => ({ id, key: randomBytes(32), createdAt })
const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString())
const session = { aud: 'app_1', trust: 'verified' as const, plt: 'web' as const, sid: 'sec_1', uid: '42' }

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return (error as { code?: string }).code
  }
  return undefined
}

describe('AccessTokenKeyring', () => {
  const k1 = key('key_1', '2026-01-01T00:00:00.000Z')

  it('signs HS256 at+jwt tokens naming the key, with exp - iat = ttl', () => {
    const ring = new AccessTokenKeyring([k1], 900)
    const { token, expiresIn } = ring.sign(session)
    const [h, p, s] = token.split('.')
    expect(decode(h!)).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: 'key_1' })
    const claims = decode(p!)
    expect(claims).toMatchObject({ iss: 'verity', aud: 'app_1', sub: 'uid:42', trust: 'verified', plt: 'web', sid: 'sec_1' })
    expect(claims.exp - claims.iat).toBe(900)
    expect(expiresIn).toBe(900)
    expect(createHmac('sha256', k1.key).update(`${h}.${p}`).digest('base64url')).toBe(s)
    expect(ring.verify(token)).toMatchObject({ aud: 'app_1', uid: '42' })
  })

  it('keeps user ids, emails and devices in separate subject namespaces', () => {
    const ring = new AccessTokenKeyring([k1], 900)
    const sub = (t: string) => decode(t.split('.')[1]!).sub
    expect(sub(ring.sign({ aud: 'a', trust: 'verified', plt: 'web', sid: 's', uid: 'x@y.z' }).token)).toBe('uid:x@y.z')
    expect(sub(ring.sign({ aud: 'a', trust: 'verified', plt: 'web', sid: 's', email: 'x@y.z' }).token)).toBe('email:x@y.z')
    expect(sub(ring.sign({ aud: 'a', trust: 'anonymous', plt: 'web', did: 'dev_1' }).token)).toBe('dev:dev_1')
    expect(sub(ring.sign({ aud: 'a', trust: 'unverified', plt: 'web', did: 'dev_1', uid: '42' }).token)).toBe('dev:dev_1/uid:42')
  })

  it('refuses expired, tampered, alg none, other-key and wrong-type tokens', () => {
    const ring = new AccessTokenKeyring([k1], 900)
    const expired = ring.sign(session, Date.now() - 901_000).token
    expect(codeOf(() => ring.verify(expired))).toBe('token_expired')
    const good = ring.sign(session).token
    const [h, p, s] = good.split('.')
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...decode(p!), uid: '43' })).toString('base64url')}.${s}`
    expect(codeOf(() => ring.verify(forged))).toBe('token_invalid')
    const none = `${Buffer.from('{"alg":"none","typ":"at+jwt","kid":"key_1"}').toString('base64url')}.${p}.`
    expect(codeOf(() => ring.verify(none))).toBe('token_invalid')
    const otherRing = new AccessTokenKeyring([key('key_1', k1.createdAt)], 900)
    expect(codeOf(() => ring.verify(otherRing.sign(session).token))).toBe('token_invalid')
    const idToken = `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${p}.${s}`
    expect(codeOf(() => ring.verify(idToken))).toBe('token_invalid')
    expect(codeOf(() => ring.verify('garbage'))).toBe('token_invalid')
  })

  it('signs with the newest key; an older key verifies until its last token could have expired', () => {
    const now = Date.now()
    const old = key('key_1', new Date(now - 86_400_000).toISOString())
    const oldToken = new AccessTokenKeyring([old], 900).sign(session, now - 20_000).token
    const newer = key('key_2', new Date(now - 10_000).toISOString())
    const ring = new AccessTokenKeyring([old, newer], 900)
    expect(decode(ring.sign(session, now).token.split('.')[0]!).kid).toBe('key_2')
    expect(() => ring.verify(oldToken, now + 1000)).not.toThrow()
    expect(codeOf(() => ring.verify(oldToken, now + (900 + 51) * 1000))).toBe('token_invalid')
  })
})
