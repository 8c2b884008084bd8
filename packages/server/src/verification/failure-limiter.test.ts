import { describe, expect, it } from 'vitest'
import { FailureLimiter, failureLimitKey } from './failure-limiter.js'

describe('FailureLimiter', () => {
  const key = failureLimitKey('app_1', 'web', 'uid:42')

  it('blocks after `limit` refusals within a minute, until the oldest is a minute old', () => {
    const limiter = new FailureLimiter({ limit: 3 })
    limiter.recordRefusal(key, 0)
    limiter.recordRefusal(key, 10_000)
    expect(limiter.retryAfterSeconds(key, 10_000)).toBe(0)
    limiter.recordRefusal(key, 20_000)
    expect(limiter.retryAfterSeconds(key, 20_000)).toBe(40)
    expect(limiter.retryAfterSeconds(key, 59_999)).toBe(1)
    // The first refusal is now a minute old: two remain in the window.
    expect(limiter.retryAfterSeconds(key, 60_000)).toBe(0)
  })

  it('never affects other identifiers, or the same identifier on another platform or app', () => {
    const limiter = new FailureLimiter({ limit: 1 })
    limiter.recordRefusal(key, 0)
    expect(limiter.retryAfterSeconds(key, 1)).toBeGreaterThan(0)
    expect(limiter.retryAfterSeconds(failureLimitKey('app_1', 'web', 'uid:43'), 1)).toBe(0)
    expect(limiter.retryAfterSeconds(failureLimitKey('app_1', 'ios', 'uid:42'), 1)).toBe(0)
    expect(limiter.retryAfterSeconds(failureLimitKey('app_2', 'web', 'uid:42'), 1)).toBe(0)
    expect(limiter.retryAfterSeconds(failureLimitKey('app_1', 'web', 'email:42'), 1)).toBe(0)
  })

  it('keeps memory bounded under a flood of distinct identifiers', () => {
    const limiter = new FailureLimiter({ limit: 10, maxKeys: 1000 })
    for (let i = 0; i < 50_000; i++) limiter.recordRefusal(`k${i}`, i)
    expect(limiter.size).toBeLessThanOrEqual(1000)
  })
})
