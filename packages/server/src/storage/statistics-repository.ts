import { CompiledQuery, type Kysely } from 'kysely'
import { eraseUserStatistics, type ErasureTarget } from './erase-user-rows.js'
import { isPostgres } from './notify.js'
import { FlushStatements } from './flush-statements.js'
import type { Database } from './schema.js'
import { addPlacedCounts, lockOrder, lockStatistics, stateOf, type PlacedDelta, type StoredAttemptRow } from './statistics-writes.js'
import {
  dailyDeltas,
  mergeAttempt,
  netDeltas,
  rolloutDeltas,
  type AttemptState,
  type CountDelta,
  type CountSeries,
} from './statistics-counts.js'

/** One user's latest attempt and proof from one flush, for one app and platform. */
export interface AttemptWrite {
  readonly userKey: string
  readonly state: AttemptState
}

/** Users of one app and platform in a flush, each key once. */
export interface AttemptGroup {
  readonly appId: string
  readonly platform: string
  readonly rows: readonly AttemptWrite[]
}

const placeKey = (appId: string, platform: string, userKey: string): string => `${appId}\u0000${platform}\u0000${userKey}`

/** A failure-log entry as stored. */
export interface FailureRow {
  readonly id: string
  readonly app_id: string
  readonly platform: string
  readonly at: string
  readonly user_id: string | null
  readonly email: string | null
  readonly app_version: string | null
  readonly refused: number
  readonly code: string
  readonly diagnosis: string
}

/** Summed aggregate rows of a window. */
export interface CountRow {
  readonly series: CountSeries
  readonly key: string
  readonly outcome: string
  readonly users: number
  readonly lastSeenAt: string | null
}

/**
 * The statistics' storage: users' latest attempts with the aggregates the rollout reads, secrets'
 * last use, and the failure log. Every write that moves a user keeps the aggregates exact.
 */
export class StatisticsRepository {
  readonly #db: Kysely<Database>
  readonly #statements: FlushStatements
  /**
   * Users per writeAttempts call, which is one transaction. SQLite runs all of it (read, write,
   * counts, commit) in one turn of the event loop, and with millions of stored users each user
   * dirties pages at random places: with 1,000 random users of a million a second, 100 users took
   * 15 ms a transaction at the median, 25 took 3.7 ms. PostgreSQL waits off the loop, where fewer,
   * larger transactions cost less.
   */
  readonly usersPerTransaction: number

  constructor(db: Kysely<Database>) {
    this.#db = db
    this.#statements = new FlushStatements(db)
    this.usersPerTransaction = isPostgres(db) ? 100 : 25
  }

  /**
   * Users of a few apps and platforms (distinct keys per app and platform, a few hundred in all):
   * in one short transaction, their stored rows are read, merged with what arrived, written back,
   * and the aggregate rows they leave and join are adjusted. One transaction and a few statements
   * for the whole chunk, however many apps it spans: with thousands of apps, a transaction per app
   * cost the flush more than its rows did.
   */
  async writeAttempts(groups: readonly AttemptGroup[]): Promise<void> {
    const ordered = groups.filter((g) => g.rows.length > 0).sort(lockOrder)
    if (ordered.length === 0) return
    await this.#db.transaction().execute(async (trx) => {
      for (const { appId, platform } of ordered) await lockStatistics(trx, appId, platform)
      const readParameters: unknown[] = []
      for (const { appId, platform, rows } of ordered) readParameters.push(appId, platform, ...rows.map((r) => r.userKey))
      const text = this.#statements.readAttemptsOfGroups(ordered.map((g) => g.rows.length))
      const stored = await trx.executeQuery<StoredAttemptRow & { app_id: string; platform: string }>(CompiledQuery.raw(text, readParameters))
      const before = new Map(stored.rows.map((r) => [placeKey(r.app_id, r.platform, r.user_key), stateOf(r)]))
      const parameters: unknown[] = []
      const placed: PlacedDelta[] = []
      for (const { appId, platform, rows } of ordered) {
        const deltas: CountDelta[] = []
        for (const { userKey, state } of rows) {
          const old = before.get(placeKey(appId, platform, userKey)) ?? null
          const next = mergeAttempt(old, state)
          parameters.push(appId, platform, userKey, next.lastAt, next.outcome, next.appVersion, next.sdkVersion, next.secretId, next.provenAt, next.provenAppVersion, next.provenSecretId)
          deltas.push(...rolloutDeltas(old, next), ...dailyDeltas(old, state, next))
        }
        for (const delta of netDeltas(deltas)) placed.push({ appId, platform, delta })
      }
      const rowCount = parameters.length / 11
      await trx.executeQuery(CompiledQuery.raw(this.#statements.writeAttempts(rowCount), parameters))
      await addPlacedCounts(trx, this.#statements, placed)
    })
  }

  /**
   * An erased user's statistics written late (attempts made before the erasure that an instance
   * had not written yet): their rows, their counts, their failures (erase-user-rows.ts).
   */
  async eraseUser(target: ErasureTarget): Promise<{ statistics: number; failures: number }> {
    return eraseUserStatistics(this.#db, target)
  }

  /** Each secret's last use, never moved back. */
  async recordSecretsUsed(used: ReadonlyArray<readonly [id: string, at: string]>): Promise<void> {
    if (used.length === 0) return
    const pairs = used.flatMap(([id, at]) => [id, at])
    await this.#db.executeQuery(CompiledQuery.raw(this.#statements.secretsUsed(used.length), [...pairs, ...used.map(([id]) => id), ...pairs]))
  }

  async insertFailures(rows: readonly FailureRow[]): Promise<void> {
    if (rows.length > 0) await this.#db.insertInto('failures').values([...rows]).execute()
  }

  /** Keeps the newest `keep` failures of an app. */
  async pruneFailures(appId: string, keep: number): Promise<void> {
    const cutoff = await this.#db.selectFrom('failures').select('id').where('app_id', '=', appId).orderBy('id', 'desc').offset(keep).limit(1).executeTakeFirst()
    if (cutoff) await this.#db.deleteFrom('failures').where('app_id', '=', appId).where('id', '<=', cutoff.id).execute()
  }

  /** The aggregate rows of `series` from `sinceDay` on, summed over days. */
  async counts(appId: string, platform: string, series: readonly CountSeries[], sinceDay: string): Promise<CountRow[]> {
    const rows = await this.#db
      .selectFrom('rollout_counts')
      .select((eb) => ['series', 'key', 'outcome', eb.fn.sum<number | string>('users').as('users'), eb.fn.max('last_seen_at').as('last_seen_at')])
      .where('app_id', '=', appId)
      .where('platform', '=', platform)
      .where('series', 'in', [...series])
      .where('day', '>=', sinceDay)
      .groupBy(['series', 'key', 'outcome'])
      .execute()
    // PostgreSQL returns sums as strings (bigint), SQLite as numbers.
    return rows.map((r) => ({ series: r.series as CountSeries, key: r.key, outcome: r.outcome, users: Number(r.users), lastSeenAt: r.last_seen_at }))
  }

  /** The daily series' rows from `sinceDay` on, one per day and outcome. */
  async daily(appId: string, platform: string, sinceDay: string): Promise<Array<{ day: string; outcome: string; users: number }>> {
    const rows = await this.#db
      .selectFrom('rollout_counts')
      .select(['day', 'outcome', 'users'])
      .where('app_id', '=', appId)
      .where('platform', '=', platform)
      .where('series', '=', 'daily')
      .where('day', '>=', sinceDay)
      .execute()
    return rows.map((r) => ({ day: r.day, outcome: r.outcome, users: Number(r.users) }))
  }
}
