import { sql, type Kysely } from 'kysely'
import { userRowsPerStatement } from './background-batches.js'
import type { Database } from './schema.js'

/**
 * One bounded batch of each kind of expiring row. Each statement finds its rows through an index on
 * their time (migrations 0006, 0011) and changes at most `limit`, so it holds the write lock only
 * briefly. Each returns how many rows it changed; the caller repeats while a batch comes back full.
 */
export class RetentionRepository {
  readonly #db: Kysely<Database>
  /** Rows a statement changes at most (background-batches.ts). */
  readonly rowsPerStatement: number

  constructor(db: Kysely<Database>) {
    this.#db = db
    this.rowsPerStatement = userRowsPerStatement(db)
  }

  /** Failure log entries recorded before `cutoff`. */
  async failures(cutoff: string, limit: number): Promise<number> {
    const db = this.#db
    const result = await db
      .deleteFrom('failures')
      .where('id', 'in', db.selectFrom('failures').select('id').where('at', '<', cutoff).limit(limit))
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  }

  /**
   * Proofs older than `cutoff` (the start of a UTC day) of users still seen since: forgotten, as the
   * aggregate rows of their day go (`counts`), so the two stay equal.
   */
  async oldProofs(cutoff: string, limit: number): Promise<number> {
    const result = await sql`
      update user_attempts set proven_at = null, proven_app_version = null, proven_secret_id = null where (app_id, platform, user_key) in
        (select app_id, platform, user_key from user_attempts where proven_at < ${cutoff} limit ${limit})
    `.execute(this.#db)
    return Number(result.numAffectedRows ?? 0n)
  }

  /** Rollout statistics of users whose latest attempt was before `cutoff` (the start of a UTC day). */
  async statistics(cutoff: string, limit: number): Promise<number> {
    const result = await sql`
      delete from user_attempts where (app_id, platform, user_key) in
        (select app_id, platform, user_key from user_attempts where last_at < ${cutoff} limit ${limit})
    `.execute(this.#db)
    return Number(result.numAffectedRows ?? 0n)
  }

  /** Aggregate rows (rollout and daily series) of days before `day`. */
  async counts(day: string, limit: number): Promise<number> {
    const result = await sql`
      delete from rollout_counts where (app_id, platform, series, day, key, outcome) in
        (select app_id, platform, series, day, key, outcome from rollout_counts where day < ${day} limit ${limit})
    `.execute(this.#db)
    return Number(result.numAffectedRows ?? 0n)
  }

  /** Sign-outs older than any token they could still end. */
  async signOuts(cutoff: string, limit: number): Promise<number> {
    const result = await sql`
      delete from sign_outs where (app_id, user_key) in
        (select app_id, user_key from sign_outs where signed_out_before < ${cutoff} limit ${limit})
    `.execute(this.#db)
    return Number(result.numAffectedRows ?? 0n)
  }
}
