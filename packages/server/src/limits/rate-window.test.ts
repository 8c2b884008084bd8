import { describe, expect, it } from 'vitest'
import { RateWindow } from './rate-window.js'

describe('RateWindow', () => {
  it('allows `rate` within a minute, then waits until the earliest has left the window', () => {
    const window = new RateWindow({ rate: 3 })
    expect([window.take('a', 0), window.take('a', 10_000), window.take('a', 20_000)]).toEqual([0, 0, 0])
    // The first one (slot 0–6 s) leaves the window at 66 s.
    expect(window.take('a', 20_000)).toBe(46)
    expect(window.take('a', 65_999)).toBe(1)
    expect(window.take('a', 66_000)).toBe(0)
    expect(window.take('a', 66_000)).toBeGreaterThan(0)
  })

  it('never allows more than `rate` within any minute', () => {
    const window = new RateWindow({ rate: 5 })
    const allowed: number[] = []
    for (let t = 0; t < 600_000; t += 700) if (window.take('a', t) === 0) allowed.push(t)
    for (const start of allowed) expect(allowed.filter((t) => t >= start && t < start + 60_000).length).toBeLessThanOrEqual(5)
    // And not much fewer: 5 a minute over 10 minutes.
    expect(allowed.length).toBeGreaterThanOrEqual(45)
  })

  it('counts nothing when asked, and keys apart', () => {
    const window = new RateWindow({ rate: 1 })
    expect(window.retryAfterSeconds('a', 0)).toBe(0)
    expect(window.take('a', 0)).toBe(0)
    expect(window.retryAfterSeconds('a', 0)).toBe(66)
    expect(window.retryAfterSeconds('a', 0)).toBe(66)
    expect(window.take('b', 0)).toBe(0)
    expect(window.retryAfterSeconds('a', 66_000)).toBe(0)
  })

  it('forgets keys that counted nothing lately, and keeps at most maxKeys', () => {
    const window = new RateWindow({ rate: 10, maxKeys: 1_000 })
    for (let i = 0; i < 50_000; i++) window.take(`k${i}`, 0)
    expect(window.size).toBeLessThanOrEqual(1_000)
    // Later traffic clears the old keys, two per new key.
    for (let i = 0; i < 600; i++) window.take(`later${i}`, 70_000)
    expect(window.size).toBeLessThanOrEqual(600)
  })

  it('keeps the keys in use when full: the least recently used goes first', () => {
    const window = new RateWindow({ rate: 2, maxKeys: 100 })
    window.take('busy', 0)
    window.take('busy', 0)
    for (let i = 0; i < 1_000; i++) {
      window.take(`k${i}`, 1)
      if (i % 50 === 0) expect(window.retryAfterSeconds('busy', 1)).toBeGreaterThan(0)
    }
  })
})
