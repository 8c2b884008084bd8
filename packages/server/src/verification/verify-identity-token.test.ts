import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { identityTokenVerifier, verifyIdentityToken } from './verify-identity-token.js'
import type { VerifyingSecret } from './verifying-secret.js'

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
/** An independent HS256 signer, so the test does not trust the library under test. */
function sign(secret: string, payload: Record<string, unknown>, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): string {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}
const secretOf = (id: string, value: string): VerifyingSecret => {
  const key = Buffer.from(value)
  return { id, value, key, verifyIdentityToken: identityTokenVerifier(key) }
}
const ACTIVE = [secretOf('sec_a', 'secret-a'), secretOf('sec_b', 'secret-b')]
const now = () => Math.floor(Date.now() / 1000)

describe('verifyIdentityToken (rule 4)', () => {
  it('accepts an HS256 token signed with any active secret, with its identity and attributes', () => {
    const token = sign('secret-b', { user_id: '42', email: 'a@example.com', exp: now() + 300, attributes: { plan: 'pro' } })
    expect(verifyIdentityToken(token, ACTIVE)).toEqual({
      kind: 'valid',
      identity: { userId: '42', email: 'a@example.com' },
      secretId: 'sec_b',
      attributes: { plan: 'pro' },
    })
  })

  it('honours exp with 60 s of leeway', () => {
    expect(verifyIdentityToken(sign('secret-a', { user_id: '42', exp: now() - 30 }), ACTIVE).kind).toBe('valid')
    expect(verifyIdentityToken(sign('secret-a', { user_id: '42', exp: now() - 120 }), ACTIVE)).toMatchObject({ kind: 'invalid', failure: 'expired' })
  })

  it('refuses a token that lives more than 24 h: exp past iat + 24 h, or past now + 24 h without iat', () => {
    const t = now()
    expect(verifyIdentityToken(sign('secret-a', { user_id: '42', iat: t, exp: t + 86_400 }), ACTIVE).kind).toBe('valid')
    expect(verifyIdentityToken(sign('secret-a', { user_id: '42', iat: t, exp: t + 86_401 }), ACTIVE)).toMatchObject({ kind: 'invalid', failure: 'lifetime', identity: { userId: '42' } })
    expect(verifyIdentityToken(sign('secret-a', { user_id: '42', iat: t, exp: t + 10 * 365 * 86_400 }), ACTIVE)).toMatchObject({ kind: 'invalid', failure: 'lifetime' })
    expect(verifyIdentityToken(sign('secret-a', { user_id: '42', exp: t + 86_400 }), ACTIVE).kind).toBe('valid')
    expect(verifyIdentityToken(sign('secret-a', { user_id: '42', exp: t + 2 * 86_400 }), ACTIVE)).toMatchObject({ kind: 'invalid', failure: 'lifetime' })
    // An iat in the future does not stretch the lifetime.
    expect(verifyIdentityToken(sign('secret-a', { user_id: '42', iat: t + 86_400, exp: t + 2 * 86_400 }), ACTIVE)).toMatchObject({ kind: 'invalid', failure: 'lifetime' })
    expect(verifyIdentityToken(sign('secret-a', { user_id: '42', iat: 'today', exp: t + 60 }), ACTIVE)).toMatchObject({ kind: 'invalid', failure: 'claims' })
  })

  it('refuses any crit header, whatever it names', () => {
    for (const crit of [['exp'], ['b64'], [], 'x']) {
      const token = sign('secret-a', { user_id: '42', exp: now() + 300 }, { alg: 'HS256', typ: 'JWT', crit, b64: true, exp: 1 })
      expect(verifyIdentityToken(token, ACTIVE), JSON.stringify(crit)).toMatchObject({ kind: 'invalid', failure: 'crit', identity: { userId: '42' } })
    }
  })

  it('requires exp', () => {
    expect(verifyIdentityToken(sign('secret-a', { user_id: '42' }), ACTIVE)).toMatchObject({ kind: 'invalid', failure: 'claims' })
  })

  it('refuses alg none, other algorithms, and a tampered payload', () => {
    const none = `${b64({ alg: 'none' })}.${b64({ user_id: '42', exp: now() + 300 })}.`
    expect(verifyIdentityToken(none, ACTIVE)).toMatchObject({ kind: 'invalid', failure: 'algorithm', identity: { userId: '42' } })
    const hs512Input = `${b64({ alg: 'HS512' })}.${b64({ user_id: '42', exp: now() + 300 })}`
    const hs512 = `${hs512Input}.${createHmac('sha512', 'secret-a').update(hs512Input).digest('base64url')}`
    expect(verifyIdentityToken(hs512, ACTIVE)).toMatchObject({ kind: 'invalid', failure: 'algorithm' })
    const good = sign('secret-a', { user_id: '42', exp: now() + 300 })
    const [h, , s] = good.split('.')
    const tampered = `${h}.${b64({ user_id: '43', exp: now() + 300 })}.${s}`
    expect(verifyIdentityToken(tampered, ACTIVE)).toMatchObject({ kind: 'invalid', failure: 'signature', identity: { userId: '43' } })
  })

  it('refuses a token signed with a secret that is not active here (another platform, another app)', () => {
    expect(verifyIdentityToken(sign('ios-secret', { user_id: '42', exp: now() + 300 }), ACTIVE)).toMatchObject({ kind: 'invalid', failure: 'signature' })
  })

  it('a kid selects that secret; an unknown kid fails even if another secret would verify', () => {
    const withKid = (kid: string, key: string) => sign(key, { user_id: '42', exp: now() + 300 }, { alg: 'HS256', kid })
    expect(verifyIdentityToken(withKid('sec_b', 'secret-b'), ACTIVE)).toMatchObject({ kind: 'valid', secretId: 'sec_b' })
    expect(verifyIdentityToken(withKid('sec_a', 'secret-b'), ACTIVE)).toMatchObject({ kind: 'invalid', failure: 'signature' })
    expect(verifyIdentityToken(withKid('sec_revoked', 'secret-a'), ACTIVE)).toMatchObject({ kind: 'invalid', failure: 'unknown_kid' })
  })

  it('a token that cannot be read, or names no usable identity, is unreadable', () => {
    for (const token of ['', 'abc', 'a.b.c', sign('secret-a', { exp: now() + 300 }), sign('secret-a', { user_id: 42, exp: now() + 300 }), sign('secret-a', { user_id: 'a\u0000b', exp: now() + 300 })]) {
      expect(verifyIdentityToken(token, ACTIVE)).toEqual({ kind: 'unreadable' })
    }
  })

  it('refuses attributes that are not a JSON object', () => {
    expect(verifyIdentityToken(sign('secret-a', { user_id: '42', exp: now() + 300, attributes: ['x'] }), ACTIVE)).toMatchObject({ kind: 'invalid', failure: 'claims' })
  })
})
