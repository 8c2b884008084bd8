import { VerityError } from '../errors/verity-error.js'
import type { StoredApp } from '../storage/app-repository.js'
import { versionOfKey } from '../storage/statistics-counts.js'
import type { CountRow, StatisticsRepository } from '../storage/statistics-repository.js'
import type { Platform } from '../verification/platforms.js'
import type { AttemptOutcome } from '../verification/auth-events.js'

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

/** Users in the window grouped by the app version and outcome they count under (computeRollout). */
export interface OutcomeGroup {
  readonly appVersion: string | null
  readonly outcome: AttemptOutcome
  readonly users: number
  readonly lastSeenAt: string
}

/** The platform's secrets as the rollout lists them. */
export interface RolloutSecret {
  readonly id: string
  readonly revoked: boolean
  readonly lastUsedAt: string | null
}

/**
 * The Rollout document from the grouped counts: pure, so the arithmetic is tested without storage.
 * Revoked secrets are listed only while someone's latest attempt still used one, which is exactly
 * when an admin needs to see them.
 */
export function summarizeRollout(
  days: number,
  groups: readonly OutcomeGroup[],
  usersBySecret: ReadonlyMap<string, number>,
  platformSecrets: readonly RolloutSecret[],
): Rollout {
  const totals = emptyCounts()
  const versions = new Map<string | null, OutcomeCounts & { app_version: string | null; last_seen_at: string }>()
  for (const group of groups) {
    const entry = versions.get(group.appVersion) ?? { app_version: group.appVersion, ...emptyCounts(), last_seen_at: group.lastSeenAt }
    entry.users += group.users
    entry[group.outcome] += group.users
    if (group.lastSeenAt > entry.last_seen_at) entry.last_seen_at = group.lastSeenAt
    versions.set(group.appVersion, entry)
    totals.users += group.users
    totals[group.outcome] += group.users
  }
  // Most users first, so the versions that decide the forecast lead the table; ties by version,
  // "no version" last, so the order is the same from one call to the next.
  const sortedVersions = [...versions.values()].sort((a, b) => b.users - a.users || compareVersions(a.app_version, b.app_version))
  const secrets = platformSecrets
    .filter((s) => !s.revoked || (usersBySecret.get(s.id) ?? 0) > 0)
    .map((s) => ({ id: s.id, users: usersBySecret.get(s.id) ?? 0, last_used_at: s.lastUsedAt }))
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

function compareVersions(a: string | null, b: string | null): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1
  return a.localeCompare(b, 'en', { numeric: true })
}

const DAY_MS = 86_400_000

/** The first UTC day of a window of `days` whole days ending today (today included). */
export function windowStartDay(days: number, now: Date): string {
  return new Date(now.getTime() - (days - 1) * DAY_MS).toISOString().slice(0, 10)
}

/**
 * The rollout's groups from the aggregate rows summed over the window (storage/statistics-counts.ts):
 * users proven in the window count as verified under their proof's version; the others under their
 * latest attempt, which is `latest` minus `proven_latest` (a proof is never after the latest attempt).
 */
export function groupsFromCounts(rows: readonly CountRow[]): { groups: OutcomeGroup[]; usersBySecret: Map<string, number> } {
  const latest = new Map<string, { key: string; outcome: string; users: number }>()
  // A version's last_seen_at: the latest attempt recorded on it in the window, as an attempt or a proof.
  const lastSeen = new Map<string, string>()
  const proven: Array<{ key: string; users: number }> = []
  const usersBySecret = new Map<string, number>()
  for (const row of rows) {
    if ((row.series === 'latest' || row.series === 'proven') && row.lastSeenAt !== null && row.lastSeenAt > (lastSeen.get(row.key) ?? '')) lastSeen.set(row.key, row.lastSeenAt)
    if (row.series === 'latest' || row.series === 'proven_latest') {
      const id = `${row.key}\u0000${row.outcome}`
      const entry = latest.get(id) ?? { key: row.key, outcome: row.outcome, users: 0 }
      entry.users += row.series === 'latest' ? row.users : -row.users
      latest.set(id, entry)
    } else if (row.series === 'proven') {
      proven.push({ key: row.key, users: row.users })
    } else if (row.series === 'secret' && row.users > 0) {
      usersBySecret.set(row.key, row.users)
    }
  }
  const groups = [...proven.map((p) => ({ ...p, outcome: 'verified' })), ...latest.values()]
    .filter((g) => g.users > 0)
    .map((g) => ({ appVersion: versionOfKey(g.key), outcome: g.outcome as AttemptOutcome, users: g.users, lastSeenAt: lastSeen.get(g.key) ?? '' }))
  return { groups, usersBySecret }
}

/**
 * Is it safe to enforce? Each identified user seen in the window (today and the days - 1 UTC days
 * before it) counts once. A user who sent a valid proof in the window counts as verified, under the
 * app version and secret of their latest valid proof, whatever unproven attempts followed: anyone
 * can send an attempt without a proof in a user's name, so such attempts must not undo a proof.
 * Any other user counts under the app version and outcome of their latest attempt. Read from
 * aggregates per day: the cost does not grow with the number of users.
 */
export async function computeRollout(statistics: StatisticsRepository, app: StoredApp, platform: Platform, days: number, now: Date = new Date()): Promise<Rollout> {
  const rows = await statistics.counts(app.id, platform, ['latest', 'proven_latest', 'proven', 'secret'], windowStartDay(days, now))
  const { groups, usersBySecret } = groupsFromCounts(rows)
  const platformSecrets = app.secrets
    .filter((s) => s.platform === platform)
    .map((s) => ({ id: s.id, revoked: s.revokedAt !== null, lastUsedAt: s.lastUsedAt }))
  return summarizeRollout(days, groups, usersBySecret, platformSecrets)
}
