import { createHmac, randomBytes } from 'node:crypto'
import { createSigner, createVerifier } from 'fast-jwt'
import { describe, expect, it } from 'vitest'
import { Hs256Key } from './hs256.js'

/*
 * Hs256Key replaced fast-jwt for access tokens. It must make the same tokens and reach the same
 * verdicts as the fast-jwt configuration it replaced, so both are run here over the same inputs.
 */

const key = randomBytes(32)
const kid = 'key_01'
const NOW = 1_800_000_000_000
const ours = new Hs256Key(key, { alg: 'HS256', typ: 'at+jwt', kid }, 'verity')
const theirsSign = createSigner({ key, algorithm: 'HS256', kid, header: { alg: 'HS256', typ: 'at+jwt' } })
const theirsVerify = createVerifier({ key, algorithms: ['HS256'], allowedIss: 'verity', requiredClaims: ['exp', 'iat', 'aud', 'sub'], cache: false, clockTimestamp: NOW })

function theirVerdict(token: string): 'ok' | 'expired' | 'invalid' {
  try {
    theirsVerify(token)
    return 'ok'
  } catch (error) {
    return (error as { code?: string }).code === 'FAST_JWT_EXPIRED' ? 'expired' : 'invalid'
  }
}

function ourVerdict(token: string): 'ok' | 'expired' | 'invalid' {
  const v = ours.verify(token, NOW)
  return v.ok ? 'ok' : v.reason
}

const b64 = (text: string) => Buffer.from(text).toString('base64url')
/** A token with any payload text, correctly signed with the key. */
function signed(payloadText: string, header = ours.header): string {
  const input = `${header}.${b64(payloadText)}`
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`
}

const iat = NOW / 1000 - 10
const base = { iss: 'verity', sub: 'uid:42', iat, exp: iat + 900, aud: 'app_1', trust: 'verified', plt: 'web', sid: 'sec_1', uid: '42' }
const without = (claim: string) => Object.fromEntries(Object.entries(base).filter(([k]) => k !== claim))

describe('Hs256Key against fast-jwt', () => {
  it('makes the same tokens', () => {
    for (const payload of [base, { ...base, uid: 'ünïcødé 👋', email: 'a+b@example.com' }, { ...base, did: 'dev_x', trust: 'anonymous' }]) {
      expect(ours.sign(payload)).toBe(theirsSign(payload))
    }
    expect(ours.header).toBe(theirsSign({}).split('.')[0])
  })

  it('reaches the same verdicts', () => {
    const good = ours.sign(base)
    const [h, p, s] = good.split('.') as [string, string, string]
    const cases: Record<string, string> = {
      valid: good,
      'expired a second ago': signed(JSON.stringify({ ...base, exp: NOW / 1000 - 1 })),
      'expiring this very millisecond': signed(JSON.stringify({ ...base, exp: NOW / 1000 })),
      'exp as a string': signed(JSON.stringify({ ...base, exp: String(base.exp) })),
      'exp as an array': signed(JSON.stringify({ ...base, exp: [base.exp] })),
      'exp null': signed(JSON.stringify({ ...base, exp: null })),
      'nbf in the future': signed(JSON.stringify({ ...base, nbf: NOW / 1000 + 5 })),
      'nbf in the past': signed(JSON.stringify({ ...base, nbf: NOW / 1000 - 5 })),
      'nbf as a string': signed(JSON.stringify({ ...base, nbf: 'soon' })),
      'nbf in the future and expired': signed(JSON.stringify({ ...base, nbf: NOW / 1000 + 5, exp: NOW / 1000 - 5 })),
      'another issuer': signed(JSON.stringify({ ...base, iss: 'someone' })),
      'another issuer and expired': signed(JSON.stringify({ ...base, iss: 'someone', exp: NOW / 1000 - 5 })),
      'issuer as an array': signed(JSON.stringify({ ...base, iss: ['verity'] })),
      'no issuer': signed(JSON.stringify(without('iss'))),
      'no exp': signed(JSON.stringify(without('exp'))),
      'no iat': signed(JSON.stringify(without('iat'))),
      'no aud': signed(JSON.stringify(without('aud'))),
      'no sub': signed(JSON.stringify(without('sub'))),
      'payload is an array': signed(JSON.stringify([base])),
      'payload is null': signed('null'),
      'payload is a number': signed('42'),
      'payload is not JSON': signed('{"exp":'),
      'tampered payload': `${h}.${b64(JSON.stringify({ ...base, uid: '43' }))}.${s}`,
      'signature of another key': `${h}.${p}.${createHmac('sha256', randomBytes(32)).update(`${h}.${p}`).digest('base64url')}`,
      'signature cut short': `${h}.${p}.${s.slice(0, -2)}`,
      'signature one character longer': `${h}.${p}.${s}A`,
      'signature padded': `${h}.${p}.${s}=`,
      'signature in base64, not base64url': `${h}.${p}.${createHmac('sha256', key).update(`${h}.${p}`).digest('base64')}`,
      'no signature': `${h}.${p}.`,
      'two segments': `${h}.${p}`,
      'four segments': `${h}.${p}.${s}.${s}`,
      'payload with a character outside base64url': `${h}.${p}+.${s}`,
      empty: '',
    }
    for (const [name, token] of Object.entries(cases)) {
      expect(ourVerdict(token), name).toBe(theirVerdict(token))
    }
    // And the claims come back as they were signed.
    expect(ours.verify(good, NOW)).toEqual({ ok: true, claims: base })
  })
})
