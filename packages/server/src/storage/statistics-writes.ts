import { CompiledQuery, sql, type Kysely } from 'kysely'
import { isPostgres } from './notify.js'
import type { Database, UserAttemptsTable } from './schema.js'
import { erasureDeltas, netDeltas, type AttemptState, type CountDelta } from './statistics-counts.js'
import type { AttemptOutcome } from '../verification/auth-events.js'
import { PLATFORMS } from '../verification/platforms.js'
import { FlushStatements } from './flush-statements.js'

export type StoredAttemptRow = Omit<UserAttemptsTable, 'app_id' | 'platform'>

export const stateOf = (r: StoredAttemptRow): AttemptState => ({
  lastAt: r.last_at,
  outcome: r.outcome as AttemptOutcome,
  appVersion: r.app_version,
  sdkVersion: r.sdk_version,
  secretId: r.secret_id,
  provenAt: r.proven_at,
  provenAppVersion: r.proven_app_version,
  provenSecretId: r.proven_secret_id,
})

/**
 * On PostgreSQL, writers of one app and platform's statistics (flushes of every instance, erasure)
 * take turns within their transactions: each reads users' rows and moves them between aggregate
 * rows, which two at once would count twice. SQLite has one writer.
 */
export async function lockStatistics(trx: Kysely<Database>, appId: string, platform: string): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_advisory_xact_lock(hashtext(${`verity.statistics ${appId} ${platform}`}))`.execute(trx)
}

/** Deltas of several apps and platforms, each with the aggregate rows it belongs to. */
export interface PlacedDelta {
  readonly appId: string
  readonly platform: string
  readonly delta: CountDelta
}

/** Adds deltas to the aggregate rows, in statements of at most `perStatement` rows. */
export async function addCounts(db: Kysely<Database>, statements: FlushStatements, appId: string, platform: string, deltas: readonly CountDelta[], perStatement = 200): Promise<void> {
  await addPlacedCounts(db, statements, deltas.map((delta) => ({ appId, platform, delta })), perStatement)
}

/** As addCounts, for deltas of any apps and platforms (each aggregate row at most once). */
export async function addPlacedCounts(db: Kysely<Database>, statements: FlushStatements, placed: readonly PlacedDelta[], perStatement = 200): Promise<void> {
  for (let i = 0; i < placed.length; i += perStatement) {
    const part = placed.slice(i, i + perStatement)
    const parameters: unknown[] = []
    for (const { appId, platform, delta: d } of part) parameters.push(appId, platform, d.series, d.day, d.key, d.outcome, d.users, d.seenAt)
    await db.executeQuery(CompiledQuery.raw(statements.addCounts(part.length), parameters))
  }
}

/**
 * The order in which writers take the statistics locks of several apps and platforms: by app,
 * then in PLATFORMS order, as erasure takes an app's. One order for all, so no two writers each
 * hold a lock the other waits for.
 */
export function lockOrder(a: { appId: string; platform: string }, b: { appId: string; platform: string }): number {
  if (a.appId !== b.appId) return a.appId < b.appId ? -1 : 1
  return PLATFORMS.indexOf(a.platform as never) - PLATFORMS.indexOf(b.platform as never)
}

/**
 * Deletes one user's statistics rows (every platform of one app) and takes them out of the
 * aggregates: out of the rollout, and out of the daily series on their latest day (the one day a
 * returning user would be counted again). Earlier days keep them as a number: those days happened,
 * and a count names nobody. Runs within the caller's transaction, or its own.
 */
export async function eraseUserAttempts(db: Kysely<Database>, appId: string, userKey: string): Promise<number> {
  if (!db.isTransaction) return db.transaction().execute((trx) => eraseUserAttempts(trx, appId, userKey))
  // Every platform's lock, always in the same order: no two writers wait for each other's.
  for (const platform of PLATFORMS) await lockStatistics(db, appId, platform)
  // The platforms named, so both statements seek the primary key (app, platform, user) three
  // times: with the app alone, they read every one of the app's millions of users.
  const rows = await db.selectFrom('user_attempts').selectAll().where('app_id', '=', appId).where('platform', 'in', PLATFORMS).where('user_key', '=', userKey).execute()
  if (rows.length === 0) return 0
  const statements = new FlushStatements(db)
  for (const row of rows) {
    await addCounts(db, statements, appId, row.platform, netDeltas(erasureDeltas(stateOf(row))))
  }
  const deleted = await db.deleteFrom('user_attempts').where('app_id', '=', appId).where('platform', 'in', PLATFORMS).where('user_key', '=', userKey).executeTakeFirst()
  return Number(deleted.numDeletedRows)
}

