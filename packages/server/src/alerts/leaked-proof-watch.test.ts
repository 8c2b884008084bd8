import { describe, expect, it } from 'vitest'
import { LEAK_WINDOW_MS, LeakedProofWatch } from './leaked-proof-watch.js'

const T0 = 1_800_000_000_000

describe('LeakedProofWatch', () => {
  it('is true once, for the user past the bound, and not for a user proved again', () => {
    const w = new LeakedProofWatch(3)
    const seen = ['a', 'b', 'c', 'a', 'b', 'c', 'd', 'e'].map((u) => w.verified('dev', u, T0))
    expect(seen).toEqual([false, false, false, false, false, false, true, false])
  })

  it('starts a new window after 10 minutes', () => {
    const w = new LeakedProofWatch(2)
    for (const u of ['a', 'b']) w.verified('dev', u, T0)
    expect(w.verified('dev', 'c', T0 + LEAK_WINDOW_MS)).toBe(false)
  })

  it('follows at most the configured number of sources, forgetting the oldest', () => {
    const w = new LeakedProofWatch(1, 100)
    for (let i = 0; i < 10_000; i++) w.verified(`addr-${i}`, 'u', T0)
    expect(w.tracked).toBe(100)
    // The oldest was forgotten, so its count starts again.
    expect(w.verified('addr-0', 'v', T0)).toBe(false)
    expect(w.verified('addr-9999', 'v', T0)).toBe(true)
  })

  it('is off at 0', () => {
    const w = new LeakedProofWatch(0)
    for (let i = 0; i < 100; i++) expect(w.verified('dev', `u${i}`, T0)).toBe(false)
    expect(w.tracked).toBe(0)
  })
})
