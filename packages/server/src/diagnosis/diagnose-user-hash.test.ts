import { execFileSync } from 'node:child_process'
import { createHmac, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { diagnoseUserHash } from './diagnose-user-hash.js'
import type { CandidateSecret, Diagnosis, DiagnosisContext } from './diagnosis.js'
import { DiagnosisBudget, fixedWorkBudget } from './work-budget.js'

const APP_ID = 'app_01HZX3K9QWE'

function newSecret(secretId: string): CandidateSecret {
  return { secretId, value: `vs_${randomBytes(24).toString('base64url')}` }
}

interface Fixture {
  readonly ctx: DiagnosisContext
  /** The secrets by role, for making mistakes with them. */
  readonly active: string
  readonly secondActive: string
  readonly revoked: string
  readonly ios: string
  /** The last secret of the last other app: the worst case for the search. */
  readonly lastOtherApp: string
  /** How many other-app secrets the diagnosis pulled from the lazy iterable. */
  pulled(): number
}

function fixture(
  identity: { userId: string | null; email: string | null } = { userId: '42', email: 'ada@example.com' },
  otherApps = 3,
): Fixture {
  const activeSecrets = [newSecret('sec_web_2'), newSecret('sec_web_3')]
  const revokedSecrets = [newSecret('sec_web_1')]
  const otherPlatformSecrets = [newSecret('sec_ios_1'), newSecret('sec_android_1'), newSecret('sec_ios_0_revoked')]
  const others: CandidateSecret[] = []
  for (let app = 0; app < otherApps; app++) {
    for (const platform of ['web', 'ios', 'android']) others.push(newSecret(`sec_app${app}_${platform}`))
  }
  let pulled = 0
  const ctx: DiagnosisContext = {
    appId: APP_ID,
    platform: 'web',
    ...identity,
    activeSecrets,
    revokedSecrets,
    otherPlatformSecrets,
    *otherAppSecrets() {
      for (const secret of others) {
        pulled++
        yield secret
      }
    },
  }
  return {
    ctx,
    active: activeSecrets[0]!.value,
    secondActive: activeSecrets[1]!.value,
    revoked: revokedSecrets[0]!.value,
    ios: otherPlatformSecrets[0]!.value,
    lastOtherApp: others.at(-1)!.value,
    pulled: () => pulled,
  }
}

const hmacHex = (key: string, message: string, algorithm = 'sha256') =>
  createHmac(algorithm, key).update(message).digest('hex')

const diagnose = (f: Fixture, hash: string) => diagnoseUserHash(f.ctx, hash, fixedWorkBudget(Infinity))

/** Runs a shell line the way a developer pastes it from a blog post; null where there is no openssl. */
function shell(script: string, env: Record<string, string>): string | null {
  try {
    return execFileSync('sh', ['-c', script], { env: { ...process.env, ...env }, encoding: 'utf8' }).trim()
  } catch {
    return null
  }
}
const hasOpenssl = shell('openssl version', {}) !== null

describe('diagnoseUserHash: each mistake, made the way a developer makes it, gets its own code', () => {
  it('email_hashed_instead_of_user_id: the server hashed user.email while the app sends user_id', () => {
    const f = fixture()
    expect(diagnose(f, hmacHex(f.active, 'ada@example.com'))).toBe('email_hashed_instead_of_user_id')
    // With the secret that is not the newest, too: every active secret is a legitimate key.
    expect(diagnose(f, hmacHex(f.secondActive, 'ada@example.com'))).toBe('email_hashed_instead_of_user_id')
  })

  it('identifier_whitespace: a trailing newline from `echo` without -n (pure JS)', () => {
    const f = fixture()
    expect(diagnose(f, hmacHex(f.active, '42\n'))).toBe('identifier_whitespace')
  })

  it.skipIf(!hasOpenssl)('identifier_whitespace: a trailing newline from a real `echo | openssl dgst`', () => {
    const f = fixture()
    const out = shell('echo "$ID" | openssl dgst -sha256 -hmac "$KEY"', { ID: '42', KEY: f.active })!
    const hash = /([0-9a-f]{64})$/.exec(out)![1]!
    expect(diagnose(f, hash)).toBe('identifier_whitespace')
  })

  it('identifier_whitespace: a Windows line ending', () => {
    const f = fixture()
    expect(diagnose(f, hmacHex(f.active, '42\r\n'))).toBe('identifier_whitespace')
  })

  it('identifier_whitespace: the server trimmed an id that the app sends with spaces', () => {
    const f = fixture({ userId: ' user-7 ', email: null })
    expect(diagnose(f, hmacHex(f.active, 'user-7'))).toBe('identifier_whitespace')
    expect(diagnose(f, hmacHex(f.active, 'user-7\n'))).toBe('identifier_whitespace')
  })

  it('identifier_case: the server lower-cased the email it hashes', () => {
    const f = fixture({ userId: null, email: 'Ada.Lovelace@Example.com' })
    expect(diagnose(f, hmacHex(f.active, 'ada.lovelace@example.com'))).toBe('identifier_case')
  })

  it('identifier_case: the server upper-cased the user id', () => {
    const f = fixture({ userId: 'usr_ab12', email: null })
    expect(diagnose(f, hmacHex(f.active, 'USR_AB12'))).toBe('identifier_case')
  })

  it('key_and_message_swapped: createHmac(sha256, userId).update(secret)', () => {
    const f = fixture()
    expect(diagnose(f, createHmac('sha256', '42').update(f.active).digest('hex'))).toBe('key_and_message_swapped')
  })

  it('base64_instead_of_hex: digest("base64"), unpadded, and base64url', () => {
    const f = fixture()
    const mac = () => createHmac('sha256', f.active).update('42')
    expect(diagnose(f, mac().digest('base64'))).toBe('base64_instead_of_hex')
    expect(diagnose(f, mac().digest('base64').replace(/=+$/, ''))).toBe('base64_instead_of_hex')
    expect(diagnose(f, mac().digest('base64url'))).toBe('base64_instead_of_hex')
    expect(diagnose(f, Buffer.from(mac().digest()).toString('base64'))).toBe('base64_instead_of_hex')
  })

  it("base64_instead_of_hex: PHP's base64_encode(hash_hmac('sha256', $id, $secret))", () => {
    const f = fixture()
    const phpStyle = Buffer.from(hmacHex(f.active, '42')).toString('base64')
    expect(phpStyle).toHaveLength(88)
    expect(diagnose(f, phpStyle)).toBe('base64_instead_of_hex')
  })

  it.skipIf(!hasOpenssl)('base64_instead_of_hex: `openssl dgst -binary | base64`', () => {
    const f = fixture()
    const script = 'printf %s "$ID" | openssl dgst -sha256 -hmac "$KEY" -binary | base64'
    const hash = shell(script, { ID: '42', KEY: f.active })!
    expect(diagnose(f, hash)).toBe('base64_instead_of_hex')
  })

  it('wrong_algorithm: HMAC-SHA1, HMAC-MD5 and HMAC-SHA512, in either hex case', () => {
    const f = fixture()
    expect(diagnose(f, hmacHex(f.active, '42', 'sha1'))).toBe('wrong_algorithm')
    expect(diagnose(f, hmacHex(f.active, '42', 'md5'))).toBe('wrong_algorithm')
    expect(diagnose(f, hmacHex(f.secondActive, '42', 'sha512'))).toBe('wrong_algorithm')
    expect(diagnose(f, hmacHex(f.active, '42', 'sha1').toUpperCase())).toBe('wrong_algorithm')
  })

  it('app_id_as_key: createHmac(sha256, appId)', () => {
    const f = fixture()
    expect(diagnose(f, createHmac('sha256', APP_ID).update('42').digest('hex'))).toBe('app_id_as_key')
  })

  it('revoked_secret: the server still signs with the secret that was rotated out', () => {
    const f = fixture()
    expect(diagnose(f, hmacHex(f.revoked, '42'))).toBe('revoked_secret')
    expect(diagnose(f, hmacHex(f.revoked, '42').toUpperCase())).toBe('revoked_secret')
  })

  it("other_platform_secret: the web app sends a hash made with the iOS secret", () => {
    const f = fixture()
    expect(diagnose(f, hmacHex(f.ios, '42'))).toBe('other_platform_secret')
  })

  it("other_app_secret: production sends a hash made with the test app's secret", () => {
    const f = fixture()
    expect(diagnose(f, hmacHex(f.lastOtherApp, '42'))).toBe('other_app_secret')
  })

  it('uses the email as the identifier when no user id is sent', () => {
    const f = fixture({ userId: null, email: 'ada@example.com' })
    expect(diagnose(f, hmacHex(f.revoked, 'ada@example.com'))).toBe('revoked_secret')
    expect(diagnose(f, hmacHex(f.active, 'ada@example.com\n'))).toBe('identifier_whitespace')
  })

  it('reports an email hashed in place of a user id as such, even when it is the id lower-cased', () => {
    const f = fixture({ userId: 'Ada@Example.com', email: 'ada@example.com' })
    expect(diagnose(f, hmacHex(f.active, 'ada@example.com'))).toBe('email_hashed_instead_of_user_id')
  })
})

describe('diagnoseUserHash: nothing found', () => {
  it('unknown for a correct hash of somebody else', () => {
    const f = fixture()
    expect(diagnose(f, hmacHex(f.active, '43'))).toBe('unknown')
  })

  it('unknown for a hash made with a key Verity never issued', () => {
    const f = fixture()
    expect(diagnose(f, hmacHex('my-own-made-up-secret', '42'))).toBe('unknown')
    expect(diagnose(f, randomBytes(32).toString('hex'))).toBe('unknown')
  })

  it('unknown, not a variant, when the variant is the identifier itself', () => {
    // "42" trimmed and case-changed is "42": those would have verified, so they are not tried.
    const f = fixture({ userId: '42', email: null })
    const budget = fixedWorkBudget(Infinity)
    expect(diagnoseUserHash(f.ctx, randomBytes(32).toString('hex'), budget)).toBe('unknown')
    // 2 active x 2 newline variants + 2 swapped + 1 app id + 1 revoked + 3 other platforms + 9 other apps
    expect(budget.spent).toBe(4 + 2 + 1 + 1 + 3 + 9)
  })

  it.each([
    ['empty', ''],
    ['not hex', 'xyz'],
    ['63 hex characters', 'a'.repeat(63)],
    ['65 hex characters', 'b'.repeat(65)],
    ['hex with a trailing newline', `${'c'.repeat(64)}\n`],
    ['a 40-hex string that is no SHA-1 of ours', 'd'.repeat(40)],
    ['base64 that is no MAC of ours', randomBytes(32).toString('base64')],
  ])('malformed_hash for %s', (_, hash) => {
    const f = fixture()
    expect(diagnose(f, hash)).toBe('malformed_hash')
  })

  it('spends no HMAC on a hash whose shape no mistake produces', () => {
    const f = fixture()
    const budget = fixedWorkBudget(Infinity)
    for (const hash of ['', 'xyz', 'a'.repeat(63), 'not a hash at all, just a sentence']) {
      expect(diagnoseUserHash(f.ctx, hash, budget)).toBe('malformed_hash')
    }
    expect(budget.spent).toBe(0)
    expect(f.pulled()).toBe(0)
  })

  it('without an identity, a well-formed hash is unknown and a malformed one malformed', () => {
    const f = fixture({ userId: null, email: null })
    expect(diagnose(f, randomBytes(32).toString('hex'))).toBe('unknown')
    expect(diagnose(f, 'xyz')).toBe('malformed_hash')
  })
})

describe('diagnoseUserHash: bounded work', () => {
  it('answers unknown when the budget runs out, having spent no more than it', () => {
    const f = fixture()
    const none = fixedWorkBudget(0)
    expect(diagnoseUserHash(f.ctx, hmacHex(f.revoked, '42'), none)).toBe('unknown')
    expect(none.spent).toBe(0)

    const few = fixedWorkBudget(5)
    expect(diagnoseUserHash(f.ctx, hmacHex(f.lastOtherApp, '42'), few)).toBe('unknown')
    expect(few.spent).toBeLessThanOrEqual(5)

    const sha1Cut = fixedWorkBudget(0)
    expect(diagnoseUserHash(f.ctx, hmacHex(f.active, '42', 'sha1'), sha1Cut)).toBe('unknown')
  })

  it("finds another app's secret among 3,000 apps (9,000 secrets) when it is the very last", () => {
    const f = fixture({ userId: '42', email: 'ada@example.com' }, 3000)
    const budget = new DiagnosisBudget({ perAppPerSecond: 20_000, globalPerSecond: 50_000 })
    const work = budget.forApp(APP_ID)
    expect(diagnoseUserHash(f.ctx, hmacHex(f.lastOtherApp, '42'), work)).toBe('other_app_secret')
    expect(f.pulled()).toBe(9000)
    // 9,000 plus the few checks before: email 2, newline 4, swapped 2, app id 1, revoked 1, other platforms 3.
    expect(work.spent).toBe(9000 + 13)
    expect(budget.hmacsComputed).toBe(work.spent)
  })

  it('gives up among 3,000 apps with a small budget, pulling no more secrets than it can pay for', () => {
    const f = fixture({ userId: '42', email: 'ada@example.com' }, 3000)
    const budget = new DiagnosisBudget({ perAppPerSecond: 100, globalPerSecond: 50_000 })
    expect(diagnoseUserHash(f.ctx, hmacHex(f.lastOtherApp, '42'), budget.forApp(APP_ID))).toBe('unknown')
    expect(budget.hmacsComputed).toBeLessThanOrEqual(100)
    expect(f.pulled()).toBeLessThanOrEqual(100)
  })

  it("a flood against app A spends A's budget, not B's", () => {
    let t = 0
    const budget = new DiagnosisBudget({ perAppPerSecond: 200, globalPerSecond: 10_000, now: () => t })
    const a = fixture()
    const b = fixture()
    const results: Diagnosis[] = []
    for (let i = 0; i < 100; i++) {
      results.push(diagnoseUserHash(a.ctx, randomBytes(32).toString('hex'), budget.forApp('app-a')))
    }
    expect(results.every((r) => r === 'unknown')).toBe(true)
    expect(budget.hmacsComputed).toBeLessThanOrEqual(200)
    // A is out for this second, even for a hash it could explain...
    expect(diagnoseUserHash(a.ctx, hmacHex(a.revoked, '42'), budget.forApp('app-a'))).toBe('unknown')
    // ...while B is untouched,
    expect(diagnoseUserHash(b.ctx, hmacHex(b.revoked, '42'), budget.forApp('app-b'))).toBe('revoked_secret')
    // and A recovers a second later.
    t += 1000
    expect(diagnoseUserHash(a.ctx, hmacHex(a.revoked, '42'), budget.forApp('app-a'))).toBe('revoked_secret')
  })
})
