import type { Kysely } from 'kysely'
import { VerityError } from '../errors/verity-error.js'
import type { StoredApp } from '../storage/app-repository.js'
import type { Database } from '../storage/schema.js'
import type { Platform } from '../verification/platforms.js'

export interface OutcomeCounts {
  users: number
  verified: number
  missing: number
  invalid: number
}

export interface Rollout {
  window_days: number
  totals: OutcomeCounts
  versions: Array<OutcomeCounts & { app_version: string | null; last_seen_at: string }>
  secrets: Array<{ id: string; users: number; last_used_at: string | null }>
  forecast: { would_be_refused: number; app_versions: Array<string | null> }
}

export const DEFAULT_ROLLOUT_DAYS = 7
export const MAX_ROLLOUT_DAYS = 90

export function rolloutDays(days: number | undefined): number {
  if (days === undefined) return DEFAULT_ROLLOUT_DAYS
  if (!Number.isInteger(days) || days < 1 || days > MAX_ROLLOUT_DAYS) {
    throw new VerityError('invalid_request', `days must be a whole number from 1 to ${MAX_ROLLOUT_DAYS}.`)
  }
  return days
}

const emptyCounts = (): OutcomeCounts => ({ users: 0, verified: 0, missing: 0, invalid: 0 })

/**
 * Is it safe to enforce? Each identified user seen in the window counts once, under the app
 * version and outcome of their latest attempt (the table keeps exactly that attempt per user).
 */
export async function computeRollout(db: Kysely<Database>, app: StoredApp, platform: Platform, days: number, now: Date = new Date()): Promise<Rollout> {
  const since = new Date(now.getTime() - days * 86_400_000).toISOString()
  const rows = await db
    .selectFrom('user_attempts')
    .select((eb) => ['app_version', 'outcome', eb.fn.countAll<number | string>().as('users'), eb.fn.max('last_at').as('last_seen_at')])
    .where('app_id', '=', app.id)
    .where('platform', '=', platform)
    .where('last_at', '>=', since)
    .groupBy(['app_version', 'outcome'])
    .execute()
  const secretRows = await db
    .selectFrom('user_attempts')
    .select((eb) => ['secret_id', eb.fn.countAll<number | string>().as('users')])
    .where('app_id', '=', app.id)
    .where('platform', '=', platform)
    .where('last_at', '>=', since)
    .where('outcome', '=', 'verified')
    .groupBy('secret_id')
    .execute()

  const totals = emptyCounts()
  const versions = new Map<string | null, OutcomeCounts & { app_version: string | null; last_seen_at: string }>()
  for (const row of rows) {
    const users = Number(row.users)
    const outcome = row.outcome as 'verified' | 'missing' | 'invalid'
    const entry = versions.get(row.app_version) ?? { app_version: row.app_version, ...emptyCounts(), last_seen_at: row.last_seen_at as string }
    entry.users += users
    entry[outcome] += users
    if ((row.last_seen_at as string) > entry.last_seen_at) entry.last_seen_at = row.last_seen_at as string
    versions.set(row.app_version, entry)
    totals.users += users
    totals[outcome] += users
  }
  const usersBySecret = new Map(secretRows.map((r) => [r.secret_id, Number(r.users)]))
  const secrets = app.secrets
    .filter((s) => s.platform === platform && (s.revokedAt === null || usersBySecret.has(s.id)))
    .map((s) => ({ id: s.id, users: usersBySecret.get(s.id) ?? 0, last_used_at: s.lastUsedAt }))
  const sortedVersions = [...versions.values()].sort((a, b) => b.users - a.users || String(a.app_version).localeCompare(String(b.app_version)))
  return {
    window_days: days,
    totals,
    versions: sortedVersions,
    secrets,
    forecast: {
      would_be_refused: totals.missing + totals.invalid,
      app_versions: sortedVersions.filter((v) => v.missing + v.invalid > 0).map((v) => v.app_version),
    },
  }
}
