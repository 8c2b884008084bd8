import { describe, expect, it } from 'vitest'
import { VerityError } from '../errors/verity-error.js'
import { hashPassword, verifyPassword } from '../crypto/password-hash.js'
import { PasswordHasher } from './password-hasher.js'
import { passwordProblem } from './password-policy.js'

describe('password hashing', () => {
  it('stores scrypt with its parameters and a salt, and verifies only the right password', async () => {
    const stored = await hashPassword('plum-orbit-canvas-7', 12)
    expect(stored).toMatch(/^scrypt\$12\$8\$1\$[\w-]{22}\$[\w-]{43}$/)
    expect(await hashPassword('plum-orbit-canvas-7', 12)).not.toBe(stored)
    expect(await verifyPassword('plum-orbit-canvas-7', stored)).toBe(true)
    expect(await verifyPassword('plum-orbit-canvas-8', stored)).toBe(false)
    expect(await verifyPassword('plum-orbit-canvas-7', 'scrypt$99$8$1$AA$AA')).toBe(false)
    expect(await verifyPassword('plum-orbit-canvas-7', 'not a hash')).toBe(false)
  })

  it("uses OWASP's parameters by default (N = 2^17, r = 8, p = 1)", async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queue: 1 })
    expect(hasher.logN).toBe(17)
  })

  it('computes at most `concurrency` hashes at once, queues at most `queue`, and answers 503 past that', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queue: 2, logN: 12 })
    const stored = await hashPassword('plum-orbit-canvas-7', 12)
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => hasher.verify('plum-orbit-canvas-7', stored)))
    expect(results.filter((r) => r.status === 'fulfilled' && r.value === true)).toHaveLength(3)
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(refused).toHaveLength(3)
    for (const r of refused) {
      expect(r.reason).toBeInstanceOf(VerityError)
      expect((r.reason as VerityError).code).toBe('unavailable')
      expect((r.reason as VerityError).headers['Retry-After']).toBe('2')
    }
    // The places come back: later work runs.
    expect(await hasher.verify('plum-orbit-canvas-7', stored)).toBe(true)
  })

  it('an unknown email costs a verification too, and is never true', async () => {
    const hasher = new PasswordHasher({ concurrency: 1, queue: 0, logN: 12 })
    expect(await hasher.verifyDecoy('anything at all')).toBe(false)
  })
})

describe('password policy', () => {
  it.each([
    ['short-pass', /at least 12/],
    ['password1234', /common passwords/],
    ['PASSWORD1234', /common passwords/],
    ['aaaaaaaaaaaaaaaa', /common|too few/],
    ['abababababababab', /too few/],
  ])('refuses %s', (password, problem) => {
    expect(passwordProblem(password)).toMatch(problem)
  })
  it('refuses a password that contains the email, and accepts a long uncommon one', () => {
    expect(passwordProblem('x-ana@example.com-1', 'ana@example.com')).toMatch(/email/)
    expect(passwordProblem('plum-orbit-canvas-7', 'ana@example.com')).toBeNull()
    expect(passwordProblem('😀😀😀🍋🍋🍋🌍🌍🌍🚲🚲🚲')).toBeNull()
  })
})
