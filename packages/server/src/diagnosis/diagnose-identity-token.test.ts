import { createHmac, randomBytes } from 'node:crypto'
import { createSigner } from 'fast-jwt'
import { describe, expect, it } from 'vitest'
import { diagnoseIdentityToken } from './diagnose-identity-token.js'
import type { CandidateSecret, DiagnosisContext } from './diagnosis.js'
import { DiagnosisBudget, fixedWorkBudget, hmacUnits } from './work-budget.js'

const APP_ID = 'app_01HZX3K9QWE'

function newSecret(secretId: string): CandidateSecret {
  return { secretId, value: `vs_${randomBytes(24).toString('base64url')}` }
}

function fixture(otherApps = 3) {
  const active = newSecret('sec_web_2')
  const revoked = newSecret('sec_web_1')
  const ios = newSecret('sec_ios_1')
  const others: CandidateSecret[] = []
  for (let app = 0; app < otherApps; app++) {
    for (const platform of ['web', 'ios', 'android']) others.push(newSecret(`sec_app${app}_${platform}`))
  }
  let pulled = 0
  const ctx: DiagnosisContext = {
    appId: APP_ID,
    platform: 'web',
    userId: '42',
    email: null,
    activeSecrets: [active],
    revokedSecrets: [revoked],
    otherPlatformSecrets: [ios, newSecret('sec_android_1')],
    *otherAppSecrets() {
      for (const secret of others) {
        pulled++
        yield secret
      }
    },
  }
  return { ctx, active, revoked, ios, lastOtherApp: others.at(-1)!, pulled: () => pulled }
}

/** Signs the way the customer's server does, with a JWT library. */
function sign(key: string, options: { kid?: string; attributes?: Record<string, unknown> } = {}): string {
  const kid = options.kid ? { kid: options.kid } : {}
  const signer = createSigner({ key, algorithm: 'HS256', expiresIn: 600_000, ...kid })
  return signer({ user_id: '42', ...(options.attributes ? { attributes: options.attributes } : {}) })
}

const unlimited = () => fixedWorkBudget(Infinity)

describe('diagnoseIdentityToken', () => {
  it('expired_identity_token for a validly signed token past its exp, without computing anything', () => {
    const f = fixture()
    const budget = unlimited()
    const token = createSigner({ key: f.active.value, expiresIn: 1 })({ user_id: '42' })
    expect(diagnoseIdentityToken(f.ctx, token, 'expired', budget)).toBe('expired_identity_token')
    expect(budget.spent).toBe(0)
  })

  it('identity_token_lifetime and identity_token_crit, without computing anything', () => {
    const f = fixture()
    const budget = unlimited()
    const token = sign(f.active.value)
    expect(diagnoseIdentityToken(f.ctx, token, 'lifetime', budget)).toBe('identity_token_lifetime')
    expect(diagnoseIdentityToken(f.ctx, token, 'crit', budget)).toBe('identity_token_crit')
    expect(budget.spent).toBe(0)
  })

  it('wrong_algorithm for HS512, RS-style and unsigned tokens, without computing anything', () => {
    const f = fixture()
    const budget = unlimited()
    const hs512 = createSigner({ key: f.active.value, algorithm: 'HS512', expiresIn: 600_000 })({ user_id: '42' })
    const none = createSigner({ algorithm: 'none', expiresIn: 600_000 })({ user_id: '42' })
    expect(diagnoseIdentityToken(f.ctx, hs512, 'algorithm', budget)).toBe('wrong_algorithm')
    expect(diagnoseIdentityToken(f.ctx, none, 'algorithm', budget)).toBe('wrong_algorithm')
    expect(budget.spent).toBe(0)
  })

  it('revoked_secret for a token signed with the rotated-out secret and naming it as kid', () => {
    const f = fixture()
    const token = sign(f.revoked.value, { kid: f.revoked.secretId })
    expect(diagnoseIdentityToken(f.ctx, token, 'unknown_kid', unlimited())).toBe('revoked_secret')
  })

  it('revoked_secret without a kid', () => {
    const f = fixture()
    expect(diagnoseIdentityToken(f.ctx, sign(f.revoked.value), 'signature', unlimited())).toBe('revoked_secret')
  })

  it('other_platform_secret for a web token signed with the iOS secret', () => {
    const f = fixture()
    expect(diagnoseIdentityToken(f.ctx, sign(f.ios.value), 'signature', unlimited())).toBe('other_platform_secret')
  })

  it('app_id_as_key for a token signed with the app id', () => {
    const f = fixture()
    expect(diagnoseIdentityToken(f.ctx, sign(APP_ID), 'signature', unlimited())).toBe('app_id_as_key')
  })

  it("other_app_secret for a token signed with another app's secret, the last of 3,000 apps", () => {
    const f = fixture(3000)
    const budget = new DiagnosisBudget({ perAppPerSecond: 20_000, globalPerSecond: 50_000 })
    const work = budget.forApp(APP_ID)
    const token = sign(f.lastOtherApp.value, { kid: f.lastOtherApp.secretId })
    expect(diagnoseIdentityToken(f.ctx, token, 'unknown_kid', work)).toBe('other_app_secret')
    expect(f.pulled()).toBe(9000)
    expect(work.spent).toBe(1 + 1 + 2 + 9000)
  })

  it('still finds the key when the signer padded the signature', () => {
    const f = fixture()
    const [header, payload] = sign(f.revoked.value).split('.')
    const signature = createHmac('sha256', f.revoked.value).update(`${header}.${payload}`).digest('base64')
    const padded = `${header}.${payload}.${signature.replace(/\+/g, '-').replace(/\//g, '_')}`
    expect(diagnoseIdentityToken(f.ctx, padded, 'signature', unlimited())).toBe('revoked_secret')
  })

  it('unknown for a token signed with a key Verity never issued', () => {
    const f = fixture()
    expect(diagnoseIdentityToken(f.ctx, sign('some-made-up-secret'), 'signature', unlimited())).toBe('unknown')
  })

  it('unknown without an HMAC when the signature cannot be an HS256 one', () => {
    const f = fixture()
    const budget = unlimited()
    const [header, payload] = sign(f.revoked.value).split('.')
    expect(diagnoseIdentityToken(f.ctx, `${header}.${payload}.short`, 'signature', budget)).toBe('unknown')
    expect(diagnoseIdentityToken(f.ctx, `${header}.${payload}`, 'signature', budget)).toBe('unknown')
    expect(budget.spent).toBe(0)
  })

  it('unknown for a token whose signature held but whose claims did not', () => {
    const f = fixture()
    expect(diagnoseIdentityToken(f.ctx, sign(f.active.value), 'claims', unlimited())).toBe('unknown')
  })

  it('unknown when the budget runs out, having spent no more than it', () => {
    const f = fixture(3000)
    const budget = new DiagnosisBudget({ perAppPerSecond: 50, globalPerSecond: 50_000 })
    const token = sign(f.lastOtherApp.value)
    expect(diagnoseIdentityToken(f.ctx, token, 'signature', budget.forApp(APP_ID))).toBe('unknown')
    expect(budget.hmacsComputed).toBeLessThanOrEqual(50)
    expect(f.pulled()).toBeLessThanOrEqual(50)
    expect(diagnoseIdentityToken(f.ctx, sign(f.revoked.value), 'signature', fixedWorkBudget(0))).toBe('unknown')
  })

  it('charges a large token by its size, not one unit per HMAC', () => {
    const f = fixture()
    const token = sign(APP_ID, { attributes: { bio: 'x'.repeat(8000) } })
    const budget = unlimited()
    expect(diagnoseIdentityToken(f.ctx, token, 'signature', budget)).toBe('app_id_as_key')
    const signingInput = token.slice(0, token.lastIndexOf('.'))
    expect(budget.spent).toBe(hmacUnits(APP_ID, signingInput))
    expect(budget.spent).toBeGreaterThan(10)
  })
})
