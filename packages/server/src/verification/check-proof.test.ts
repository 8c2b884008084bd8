import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { checkProof } from './check-proof.js'
import { decideSession } from './decide-session.js'
import { identityTokenVerifier } from './verify-identity-token.js'
import type { VerifyingSecret } from './verifying-secret.js'

const hash = (key: string, message: string) => createHmac('sha256', key).update(message).digest('hex')
const secretOf = (id: string, value: string): VerifyingSecret => {
  const key = Buffer.from(value)
  return { id, value, key, verifyIdentityToken: identityTokenVerifier(key) }
}
const WEB = [secretOf('sec_web', 'web-secret')]
const alice = { userId: 'alice', email: 'alice@example.com' }

describe('rules 1–5: what a proof establishes, and who gets in', () => {
  it('anonymous visitors are exempt, enforced or not', () => {
    const outcome = checkProof({ userId: null, email: null }, null, WEB)
    expect(outcome.kind).toBe('anonymous')
    expect(decideSession(outcome, true)).toMatchObject({ kind: 'session', trust: 'anonymous' })
  })

  it('the hash is over the user id when both user id and email are sent', () => {
    expect(checkProof(alice, { type: 'user_hash', value: hash('web-secret', 'alice') }, WEB).kind).toBe('verified')
    const overEmail = checkProof(alice, { type: 'user_hash', value: hash('web-secret', 'alice@example.com') }, WEB)
    expect(overEmail.kind).toBe('invalid')
  })

  it('the hash is over the email when no user id is sent', () => {
    const outcome = checkProof({ userId: null, email: 'a@example.com' }, { type: 'user_hash', value: hash('web-secret', 'a@example.com') }, WEB)
    expect(outcome).toMatchObject({ kind: 'verified', secretId: 'sec_web', identity: { userId: null, email: 'a@example.com' } })
  })

  it('a secret of another platform never verifies', () => {
    expect(checkProof(alice, { type: 'user_hash', value: hash('ios-secret', 'alice') }, WEB).kind).toBe('invalid')
  })

  it('enforced: missing and invalid proofs are refused with their codes', () => {
    expect(decideSession(checkProof(alice, null, WEB), true)).toEqual({ kind: 'refused', code: 'user_hash_missing' })
    expect(decideSession(checkProof(alice, { type: 'user_hash', value: 'bad' }, WEB), true)).toEqual({ kind: 'refused', code: 'user_hash_invalid' })
  })

  it('not enforced: missing and invalid proofs let the user in unverified', () => {
    expect(decideSession(checkProof(alice, null, WEB), false)).toMatchObject({ kind: 'session', trust: 'unverified', identity: alice })
    expect(decideSession(checkProof(alice, { type: 'user_hash', value: 'bad' }, WEB), false)).toMatchObject({ kind: 'session', trust: 'unverified' })
  })

  it('a valid proof verifies on both modes and names its secret', () => {
    for (const enforced of [true, false]) {
      expect(decideSession(checkProof(alice, { type: 'user_hash', value: hash('web-secret', 'alice') }, WEB), enforced)).toEqual({
        kind: 'session',
        trust: 'verified',
        identity: alice,
        secretId: 'sec_web',
        // The hash was over the user id: the email beside it is only claimed.
        emailVerified: false,
      })
    }
  })

  it('a proof covers the email only when it was computed over it, or signed it', () => {
    const overEmail = checkProof({ userId: null, email: 'a@example.com' }, { type: 'user_hash', value: hash('web-secret', 'a@example.com') }, WEB)
    expect(overEmail).toMatchObject({ kind: 'verified', emailVerified: true })
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
    const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ user_id: 'alice', email: 'alice@example.com', exp: Math.floor(Date.now() / 1000) + 300 })}`
    const token = `${input}.${createHmac('sha256', 'web-secret').update(input).digest('base64url')}`
    expect(checkProof({ userId: null, email: null }, { type: 'identity_token', value: token }, WEB)).toMatchObject({ kind: 'verified', emailVerified: true })
    expect(decideSession(checkProof(alice, null, WEB), false)).toMatchObject({ trust: 'unverified', emailVerified: false })
  })

  it('an unreadable identity token is refused even where nothing is enforced', () => {
    const outcome = checkProof({ userId: null, email: null }, { type: 'identity_token', value: 'not-a-jwt' }, WEB)
    expect(outcome.kind).toBe('unreadable_token')
    expect(decideSession(outcome, false)).toEqual({ kind: 'refused', code: 'user_hash_invalid' })
  })
})
