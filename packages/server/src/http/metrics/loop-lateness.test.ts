import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { lateSeconds, LOOP_SAMPLE_MS, startLoopDelay } from './loop-lateness.js'

describe('event-loop lateness', () => {
  it('is what a sample exceeds the sampling interval by, never below zero', () => {
    expect(lateSeconds((LOOP_SAMPLE_MS + 3) * 1e6)).toBeCloseTo(0.003, 9)
    expect(lateSeconds((LOOP_SAMPLE_MS - 1) * 1e6)).toBe(0)
  })

  it('shows a blocked loop as the time it was blocked, not the interval', async () => {
    const histogram = startLoopDelay()
    try {
      await sleep(100)
      // Date.now() and the histogram's clock differ by up to a millisecond: margins, not exact values.
      const blockedUntil = Date.now() + 80
      while (Date.now() < blockedUntil) {
        // a synchronous 80 ms, as a long statement or a GC pause would be
      }
      await sleep(2 * LOOP_SAMPLE_MS)
      // The raw histogram counts the interval too; lateness is the block without the interval.
      expect(histogram.max / 1e6).toBeGreaterThanOrEqual(75)
      expect(lateSeconds(histogram.max)).toBeGreaterThanOrEqual(0.055)
      expect(histogram.max / 1e9 - lateSeconds(histogram.max)).toBeCloseTo(LOOP_SAMPLE_MS / 1000, 6)
    } finally {
      histogram.disable()
    }
  })
})
