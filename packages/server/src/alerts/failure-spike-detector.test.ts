import { describe, expect, it } from 'vitest'
import { FailureSpikeDetector, SPIKE_WINDOW_MS } from './failure-spike-detector.js'

const T0 = 1_800_000_000_000

function feed(d: FailureSpikeDetector, valid: number, invalid: number, at: number): void {
  for (let i = 0; i < valid; i++) d.attempt('app', 'web', false, at)
  for (let i = 0; i < invalid; i++) {
    d.attempt('app', 'web', true, at)
    d.diagnosed('app', 'web', 'other_platform_secret', '2.0.0', at)
  }
}

describe('FailureSpikeDetector', () => {
  it('raises once per spike, again only after the rate fell back under the bound', () => {
    const d = new FailureSpikeDetector(10)
    feed(d, 0, 10, T0)
    expect(d.evaluate(T0)).toHaveLength(1)
    feed(d, 0, 10, T0 + 1000)
    expect(d.evaluate(T0 + 1000)).toEqual([])
    // Five minutes later the window is empty: the platform is forgotten, and a new spike raises.
    expect(d.evaluate(T0 + SPIKE_WINDOW_MS + 31_000)).toEqual([])
    expect(d.tracked).toBe(0)
    feed(d, 0, 10, T0 + SPIKE_WINDOW_MS + 32_000)
    expect(d.evaluate(T0 + SPIKE_WINDOW_MS + 32_000)).toHaveLength(1)
  })

  it('needs more than a fifth of the attempts, and the minimum', () => {
    const d = new FailureSpikeDetector(10)
    feed(d, 40, 10, T0)
    expect(d.evaluate(T0)).toEqual([])
    feed(d, 0, 1, T0)
    expect(d.evaluate(T0)).toMatchObject([{ invalid: 11, attempts: 51, topDiagnoses: [{ diagnosis: 'other_platform_secret', count: 11 }] }])
  })

  it('keeps at most 20 app versions per bucket, counting the rest as (other)', () => {
    const d = new FailureSpikeDetector(1)
    for (let i = 0; i < 1000; i++) {
      d.attempt('app', 'web', true, T0)
      d.diagnosed('app', 'web', 'unknown', `v${i}`, T0)
    }
    const [spike] = d.evaluate(T0)
    expect(spike!.topAppVersions[0]).toEqual({ app_version: '(other)', count: 980 })
    expect(spike!.topAppVersions).toHaveLength(5)
  })
})
