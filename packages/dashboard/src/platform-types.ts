import type { Rollout } from './api.js'

/** The rollout document with its per-secret counts (what the platform tools read). */
export interface RolloutWithSecrets extends Rollout {
  secrets: { id: string; users: number; last_used_at: string | null }[]
}

export interface DailyCounts { date: string; users: number; verified: number; missing: number; invalid: number }

export interface ProofTestResult { verified: boolean; diagnosis: string | null; advice: string }

/** A time as a person reads it, the same for every viewer (UTC), to the minute. */
export function whenText(iso: string | null, never = 'Never'): string {
  if (iso === null) return never
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`
}

/** "1 user", "3 users". */
export function usersText(n: number): string {
  return `${n} ${n === 1 ? 'user' : 'users'}`
}
