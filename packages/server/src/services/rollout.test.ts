import { describe, expect, it } from 'vitest'
import { VerityError } from '../errors/verity-error.js'
import { rolloutDays, summarizeRollout, type OutcomeGroup } from './rollout.js'

const T1 = '2025-03-01T10:00:00.000Z'
const T2 = '2025-03-02T10:00:00.000Z'
const T3 = '2025-03-03T10:00:00.000Z'

describe('summarizeRollout', () => {
  const groups: OutcomeGroup[] = [
    { appVersion: '2.0.0', outcome: 'verified', users: 8, lastSeenAt: T2 },
    { appVersion: '2.0.0', outcome: 'invalid', users: 2, lastSeenAt: T3 },
    { appVersion: '1.0.0', outcome: 'missing', users: 3, lastSeenAt: T1 },
    { appVersion: null, outcome: 'missing', users: 1, lastSeenAt: T2 },
    { appVersion: null, outcome: 'verified', users: 2, lastSeenAt: T1 },
    { appVersion: '3.0.0', outcome: 'verified', users: 3, lastSeenAt: T3 },
  ]
  const secrets = [
    { id: 'sec_a', revoked: false, lastUsedAt: T2 },
    { id: 'sec_b', revoked: false, lastUsedAt: null },
    { id: 'sec_old_used', revoked: true, lastUsedAt: T1 },
    { id: 'sec_old_idle', revoked: true, lastUsedAt: T1 },
  ]
  const usersBySecret = new Map([
    ['sec_a', 12],
    ['sec_old_used', 1],
  ])

  it('adds the outcomes of each version and of the whole window', () => {
    const rollout = summarizeRollout(7, groups, usersBySecret, secrets)
    expect(rollout.window_days).toBe(7)
    expect(rollout.totals).toEqual({ users: 19, verified: 13, missing: 4, invalid: 2 })
    expect(rollout.versions).toEqual([
      { app_version: '2.0.0', users: 10, verified: 8, missing: 0, invalid: 2, last_seen_at: T3 },
      // Ties in users are broken by version, so the order is stable from one call to the next.
      { app_version: '1.0.0', users: 3, verified: 0, missing: 3, invalid: 0, last_seen_at: T1 },
      { app_version: '3.0.0', users: 3, verified: 3, missing: 0, invalid: 0, last_seen_at: T3 },
      { app_version: null, users: 3, verified: 2, missing: 1, invalid: 0, last_seen_at: T2 },
    ])
  })

  it('forecasts the users enforcement would refuse, on the versions they use, null included', () => {
    expect(summarizeRollout(7, groups, usersBySecret, secrets).forecast).toEqual({ would_be_refused: 6, app_versions: ['2.0.0', '1.0.0', null] })
  })

  it('lists active secrets always and revoked ones only while still used', () => {
    expect(summarizeRollout(7, groups, usersBySecret, secrets).secrets).toEqual([
      { id: 'sec_a', users: 12, last_used_at: T2 },
      { id: 'sec_b', users: 0, last_used_at: null },
      { id: 'sec_old_used', users: 1, last_used_at: T1 },
    ])
  })

  it('orders tied versions numerically, with no version last', () => {
    const tied = ['10.0.0', null, '9.1.0', '9.0.12', '9.0.2'].map((appVersion) => ({ appVersion, outcome: 'verified' as const, users: 1, lastSeenAt: T1 }))
    expect(summarizeRollout(7, tied, new Map(), []).versions.map((v) => v.app_version)).toEqual(['9.0.2', '9.0.12', '9.1.0', '10.0.0', null])
  })

  it('is all zeros for a window nobody was seen in', () => {
    expect(summarizeRollout(30, [], new Map(), [])).toEqual({
      window_days: 30,
      totals: { users: 0, verified: 0, missing: 0, invalid: 0 },
      versions: [],
      secrets: [],
      forecast: { would_be_refused: 0, app_versions: [] },
    })
  })
})

describe('rolloutDays', () => {
  it('defaults to 7 and accepts whole days from 1 to 90', () => {
    expect(rolloutDays(undefined)).toBe(7)
    expect(rolloutDays(1)).toBe(1)
    expect(rolloutDays(90)).toBe(90)
  })

  it.each([0, 91, 1.5, Number.NaN, -3])('refuses %s as invalid_request', (days) => {
    expect(() => rolloutDays(days)).toThrow(VerityError)
    try {
      rolloutDays(days)
    } catch (error) {
      expect((error as VerityError).code).toBe('invalid_request')
    }
  })
})
