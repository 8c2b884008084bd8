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

  it('forgets identifiers whose refusals have left the window, so memory comes back after a flood', () => {
    const limiter = new FailureLimiter({ limit: 10 })
    for (let i = 0; i < 5_000; i++) limiter.recordRefusal(`k${i}`, i)
    expect(limiter.size).toBe(5_000)
    // Later traffic sweeps a few keys per call (no stall): 5,000 stale keys are gone within 200 calls.
    for (let i = 0; i < 200; i++) limiter.retryAfterSeconds('someone', 5_000 + 60_000 + i)
    expect(limiter.size).toBe(0)
    // A key still in its window stays, with its count.
    limiter.recordRefusal('recent', 200_000)
    for (let i = 0; i < 200; i++) limiter.retryAfterSeconds('someone', 200_001 + i)
    expect(limiter.size).toBe(1)
  })

  it('keeps memory bounded under a flood of distinct identifiers', () => {
    const limiter = new FailureLimiter({ limit: 10, maxKeys: 1000 })
    for (let i = 0; i < 50_000; i++) limiter.recordRefusal(`k${i}`, i)
    expect(limiter.size).toBeLessThanOrEqual(1000)
  })
})
