import { sql, type Kysely } from 'kysely'
import type { Database } from './schema.js'

export interface RefusalAnswer {
  /** True: the refusal was counted (401). False: the limit was reached (429). */
  readonly counted: boolean
  /** When not counted: milliseconds until the oldest counted refusal leaves the window. */
  readonly retryAfterMs: number
}

/** The database's clock in epoch milliseconds: one clock for every instance. */
const NOW_MS = sql<string>`(extract(epoch from clock_timestamp()) * 1000)::bigint`

/**
 * The failure limit on PostgreSQL, shared by every instance and worker (table failure_limits,
 * migration 0004). One statement counts and checks: the upsert holds the row's lock, so two
 * instances refusing the same identifier at once are serialized and never both take the last place.
 */
export class FailureLimitRepository {
  readonly #db: Kysely<Database>
  readonly #limit: number
  readonly #windowMs: number

  constructor(db: Kysely<Database>, options: { limit: number; windowMs: number }) {
    this.#db = db
    this.#limit = options.limit
    this.#windowMs = options.windowMs
  }

  /** Counts a refusal of `key` (a digest) unless it already has the limit within the window. */
  async refuse(key: string): Promise<RefusalAnswer> {
    const window = sql`${this.#windowMs}::bigint`
    const limit = sql`${this.#limit}::int`
    // The refusals still in the window when this attempt arrives (its time is excluded.times[1]).
    const recent = sql`array(select t from unnest(f.times) as t where t > excluded.times[1] - ${window} order by t)`
    const { rows } = await sql<{ counted: boolean; times: string[]; now_ms: string }>`
      with clock as (select ${NOW_MS} as now_ms)
      insert into failure_limits as f (key, times, counted, expires_at)
      select ${key}, array[now_ms], true, now_ms + ${window} from clock
      on conflict (key) do update set
        counted = cardinality(${recent}) < ${limit},
        times = case when cardinality(${recent}) < ${limit} then ${recent} || excluded.times[1] else ${recent} end,
        expires_at = case when cardinality(${recent}) < ${limit} then excluded.expires_at else f.expires_at end
      returning f.counted, f.times, (select now_ms from clock) as now_ms
    `.execute(this.#db)
    const row = rows[0]!
    if (row.counted) return { counted: true, retryAfterMs: 0 }
    // The count falls below the limit once the refusal at position (count - limit) has left.
    const times = row.times.map(Number)
    const oldest = times[Math.max(0, times.length - this.#limit)]!
    return { counted: false, retryAfterMs: Math.max(0, oldest + this.#windowMs - Number(row.now_ms)) }
  }

  /** Deletes rows whose refusals have all left the window, a batch at a time; returns how many. */
  async prune(batch = 10_000): Promise<number> {
    const result = await sql`
      delete from failure_limits where key in (select key from failure_limits where expires_at < ${NOW_MS} limit ${batch})
    `.execute(this.#db)
    return Number(result.numAffectedRows ?? 0)
  }
}
