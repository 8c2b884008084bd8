import { describe, expect, it } from 'vitest'
import { DiagnosisBudget, fixedWorkBudget, hmacUnits } from './work-budget.js'

function clock(start = 0) {
  let t = start
  return { now: () => t, advance: (ms: number) => void (t += ms), set: (ms: number) => void (t = ms) }
}

function drain(budget: { take(n?: number): boolean }): number {
  let granted = 0
  while (budget.take()) granted++
  return granted
}

describe('fixedWorkBudget', () => {
  it('grants up to its limit and charges nothing for a refused take', () => {
    const budget = fixedWorkBudget(5)
    expect(budget.take(3)).toBe(true)
    expect(budget.take(3)).toBe(false)
    expect(budget.spent).toBe(3)
    expect(budget.take(2)).toBe(true)
    expect(budget.take()).toBe(false)
    expect(budget.spent).toBe(5)
  })

  it('gives nothing at zero, and is unbounded at Infinity', () => {
    expect(fixedWorkBudget(0).take()).toBe(false)
    const unbounded = fixedWorkBudget(Infinity)
    expect(unbounded.take(1_000_000)).toBe(true)
  })

  it('refuses nonsense amounts', () => {
    expect(() => fixedWorkBudget(-1)).toThrow(RangeError)
    expect(() => fixedWorkBudget(1.5)).toThrow(RangeError)
    expect(() => fixedWorkBudget(3).take(0)).toThrow(RangeError)
    expect(() => fixedWorkBudget(3).take(Number.NaN)).toThrow(RangeError)
  })
})

describe('hmacUnits', () => {
  it('is one for anything a user hash can be, and grows with the bytes of a large token', () => {
    expect(hmacUnits('s'.repeat(64), 'u'.repeat(255))).toBe(1)
    expect(hmacUnits('s'.repeat(64), 't'.repeat(16 * 1024))).toBe(17)
  })
})

describe('DiagnosisBudget', () => {
  it('gives each app perAppPerSecond units a window, across its diagnoses', () => {
    const c = clock()
    const budget = new DiagnosisBudget({ perAppPerSecond: 10, globalPerSecond: 1000, now: c.now })
    const first = budget.forApp('a')
    expect(first.take(6)).toBe(true)
    const second = budget.forApp('a')
    expect(second.take(5)).toBe(false)
    expect(second.take(4)).toBe(true)
    expect(second.take()).toBe(false)
    expect(first.spent + second.spent).toBe(10)
    expect(budget.hmacsComputed).toBe(10)
  })

  it('opens a new window a second later', () => {
    const c = clock(5_000)
    const budget = new DiagnosisBudget({ perAppPerSecond: 10, globalPerSecond: 1000, now: c.now })
    expect(drain(budget.forApp('a'))).toBe(10)
    c.advance(999)
    expect(budget.forApp('a').take()).toBe(false)
    c.advance(1)
    expect(drain(budget.forApp('a'))).toBe(10)
  })

  it('does not hand out a fresh window when the clock steps back', () => {
    const c = clock(10_000)
    const budget = new DiagnosisBudget({ perAppPerSecond: 10, globalPerSecond: 1000, now: c.now })
    expect(drain(budget.forApp('a'))).toBe(10)
    c.set(2_000)
    expect(budget.forApp('a').take()).toBe(false)
  })

  it("keeps app A's spending out of app B's budget", () => {
    const c = clock()
    const budget = new DiagnosisBudget({ perAppPerSecond: 10, globalPerSecond: 1000, now: c.now })
    for (let i = 0; i < 50; i++) drain(budget.forApp('flooding-app'))
    expect(drain(budget.forApp('quiet-app'))).toBe(10)
  })

  it('caps all apps together at globalPerSecond', () => {
    const c = clock()
    const budget = new DiagnosisBudget({ perAppPerSecond: 10, globalPerSecond: 35, now: c.now })
    let granted = 0
    for (let app = 0; app < 10; app++) granted += drain(budget.forApp(`app-${app}`))
    expect(granted).toBe(35)
    expect(budget.hmacsComputed).toBe(35)
    c.advance(1000)
    expect(drain(budget.forApp('app-9'))).toBe(10)
  })

  it('charges neither the app nor the global window for a refused take', () => {
    const c = clock()
    const budget = new DiagnosisBudget({ perAppPerSecond: 10, globalPerSecond: 12, now: c.now })
    const a = budget.forApp('a')
    expect(a.take(8)).toBe(true)
    expect(a.take(5)).toBe(false)
    expect(a.spent).toBe(8)
    expect(budget.hmacsComputed).toBe(8)
    expect(budget.forApp('b').take(4)).toBe(true)
  })

  it('caps one diagnosis at perDiagnosis, leaving the rest of the second to the app', () => {
    const c = clock()
    const budget = new DiagnosisBudget({ perAppPerSecond: 10, globalPerSecond: 100, perDiagnosis: 4, now: c.now })
    expect(drain(budget.forApp('a'))).toBe(4)
    expect(drain(budget.forApp('a'))).toBe(4)
    expect(drain(budget.forApp('a'))).toBe(2)
  })

  it('drops the windows of apps that went quiet', () => {
    const c = clock()
    const budget = new DiagnosisBudget({ perAppPerSecond: 10, globalPerSecond: 1_000_000, now: c.now })
    for (let app = 0; app < 500; app++) budget.forApp(`app-${app}`).take()
    expect(budget.trackedApps).toBe(500)
    c.advance(1500)
    budget.forApp('late-app').take()
    expect(budget.trackedApps).toBe(1)
  })

  it('tracks at most maxTrackedApps apps, however many fail at once, and still holds the global bound', () => {
    const c = clock()
    const budget = new DiagnosisBudget({
      perAppPerSecond: 10,
      globalPerSecond: 5_000,
      maxTrackedApps: 100,
      now: c.now,
    })
    for (let app = 0; app < 20_000; app++) {
      drain(budget.forApp(`app-${app}`))
      c.advance(0.01)
    }
    expect(budget.trackedApps).toBeLessThanOrEqual(100)
    // All 20,000 fail within 200 ms, one window: forgetting apps never lifts the global bound.
    expect(budget.hmacsComputed).toBe(5_000)
  })

  it('refuses nonsense settings', () => {
    expect(() => new DiagnosisBudget({ perAppPerSecond: 0, globalPerSecond: 10 })).toThrow(RangeError)
    expect(() => new DiagnosisBudget({ perAppPerSecond: 10, globalPerSecond: Number.NaN })).toThrow(RangeError)
    expect(() => new DiagnosisBudget({ perAppPerSecond: 10, globalPerSecond: 10, maxTrackedApps: 0 })).toThrow(
      RangeError,
    )
  })

  it('runs on the real clock by default', () => {
    const budget = new DiagnosisBudget({ perAppPerSecond: 3, globalPerSecond: 10 })
    expect(drain(budget.forApp('a'))).toBe(3)
  })
})
