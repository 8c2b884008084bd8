import { describe, expect, it } from 'vitest'
import { FailureWindow } from './failure-window.js'

describe('FailureWindow', () => {
  it('counts `limit` refusals within a minute, then waits until the oldest is a minute old', () => {
    const window = new FailureWindow({ limit: 3 })
    expect(window.refuse('k', 0)).toBe(0)
    expect(window.refuse('k', 10_000)).toBe(0)
    expect(window.refuse('k', 20_000)).toBe(0)
    expect(window.refuse('k', 20_000)).toBe(40)
    expect(window.refuse('k', 59_999)).toBe(1)
    // The first refusal is now a minute old: the attempt takes its place.
    expect(window.refuse('k', 60_000)).toBe(0)
    expect(window.refuse('k', 60_001)).toBe(10)
  })

  it('keeps keys apart', () => {
    const window = new FailureWindow({ limit: 1 })
    expect(window.refuse('a', 0)).toBe(0)
    expect(window.refuse('a', 1)).toBeGreaterThan(0)
    expect(window.refuse('b', 1)).toBe(0)
  })

  it('forgets keys whose refusals have left the window, so memory comes back after a flood', () => {
    const window = new FailureWindow({ limit: 10 })
    for (let i = 0; i < 5_000; i++) window.refuse(`k${i}`, i)
    expect(window.size).toBe(5_000)
    // Later traffic sweeps a few keys per call (no stall): 5,000 stale keys are gone within 1,000 calls.
    for (let i = 0; i < 1_000; i++) window.refuse(`later${i % 3}`, 70_000 + i)
    expect(window.size).toBe(3)
  })

  it('a flood of 200,000 distinct identifiers never frees a locked identifier, nor one partly counted', () => {
    const window = new FailureWindow({ limit: 3, maxKeys: 100_000 })
    for (let i = 0; i < 3; i++) expect(window.refuse('victim', i)).toBe(0)
    expect(window.refuse('victim', 10)).toBeGreaterThan(0)
    expect(window.refuse('half', 10)).toBe(0)
    expect(window.refuse('half', 11)).toBe(0)
    for (let i = 0; i < 200_000; i++) window.refuse(`flood-${i}`, 100 + (i % 30_000))
    // Memory stays bounded: the exact table holds at most maxKeys keys.
    expect(window.size).toBeLessThanOrEqual(100_000)
    expect(window.refuse('victim', 30_000)).toBe(30)
    // "half" had 2 of its 3: one more is counted, then it waits.
    expect(window.refuse('half', 30_000)).toBe(0)
    expect(window.refuse('half', 30_001)).toBeGreaterThan(0)
  })

  it('counts identifiers that find the table full in shared buckets: never fewer than their own refusals', () => {
    const window = new FailureWindow({ limit: 4, maxKeys: 10, spillBuckets: 16 })
    for (let i = 0; i < 10; i++) window.refuse(`resident-${i}`, 0)
    // The table is full of keys that still count: newcomers spill, and are limited all the same.
    for (let n = 0; n < 50; n++) {
      const key = `newcomer-${n}`
      let counted = 0
      while (window.refuse(key, 1_000) === 0) counted++
      expect(counted).toBeLessThanOrEqual(4)
    }
    expect(window.size).toBe(10)
    // A minute later the residents are stale, and the spilled refusals have left the window too.
    expect(window.refuse('newcomer-0', 62_000)).toBe(0)
    expect(window.size).toBeLessThanOrEqual(10)
  })

  it('answers when the oldest refusal of a spilled key leaves the window', () => {
    const window = new FailureWindow({ limit: 2, maxKeys: 1, spillBuckets: 1 })
    window.refuse('resident', 0)
    expect(window.refuse('spilled', 5_000)).toBe(0)
    expect(window.refuse('spilled', 20_000)).toBe(0)
    // Counted as made at the end of its second: 5,999 + 60,000.
    expect(window.refuse('spilled', 20_000)).toBe(46)
  })
})
