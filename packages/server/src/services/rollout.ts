import { sql, type Kysely } from 'kysely'
import { VerityError } from '../errors/verity-error.js'
import type { StoredApp } from '../storage/app-repository.js'
import type { Database } from '../storage/schema.js'
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

/**
 * Is it safe to enforce? Each identified user seen in the window counts once. A user who sent a
 * valid proof in the window counts as verified, under the app version and secret of their latest
 * valid proof, whatever unproven attempts followed: anyone can send an attempt without a proof in
 * a user's name, so such attempts must not undo a proof. Any other user counts under the app
 * version and outcome of their latest attempt. The table keeps both per user, so this is exact
 * for any window.
 */
export async function computeRollout(db: Kysely<Database>, app: StoredApp, platform: Platform, days: number, now: Date = new Date()): Promise<Rollout> {
  const since = new Date(now.getTime() - days * 86_400_000).toISOString()
  const provenInWindow = sql<boolean>`proven_at is not null and proven_at >= ${since}`
  const appVersion = sql<string | null>`case when ${provenInWindow} then proven_app_version else app_version end`
  const outcome = sql<string>`case when ${provenInWindow} then 'verified' else outcome end`
  const seenAt = sql<string>`case when ${provenInWindow} then proven_at else last_at end`
  const rows = await db
    .selectFrom('user_attempts')
    .select((eb) => [appVersion.as('app_version'), outcome.as('outcome'), eb.fn.countAll<number | string>().as('users'), eb.fn.max(seenAt).as('last_seen_at')])
    .where('app_id', '=', app.id)
    .where('platform', '=', platform)
    .where('last_at', '>=', since)
    // By position: PostgreSQL does not see two copies of an expression with parameters as the same.
    .groupBy([sql`1`, sql`2`])
    .execute()
  const secretRows = await db
    .selectFrom('user_attempts')
    .select((eb) => ['proven_secret_id', eb.fn.countAll<number | string>().as('users')])
    .where('app_id', '=', app.id)
    .where('platform', '=', platform)
    .where('proven_at', '>=', since)
    .groupBy('proven_secret_id')
    .execute()
  // PostgreSQL returns counts as strings (bigint), SQLite as numbers.
  const groups = rows.map((r) => ({ appVersion: r.app_version, outcome: r.outcome as AttemptOutcome, users: Number(r.users), lastSeenAt: String(r.last_seen_at) }))
  const usersBySecret = new Map(secretRows.flatMap((r) => (r.proven_secret_id === null ? [] : [[r.proven_secret_id, Number(r.users)] as const])))
  const platformSecrets = app.secrets
    .filter((s) => s.platform === platform)
    .map((s) => ({ id: s.id, revoked: s.revokedAt !== null, lastUsedAt: s.lastUsedAt }))
  return summarizeRollout(days, groups, usersBySecret, platformSecrets)
}
