import { sql, type Kysely } from 'kysely'
import type { Database } from './schema.js'

/**
 * One bounded batch of each kind of expiring row. Each statement finds its rows through an index on
 * their time (migration 0006) and deletes at most `limit`, so it holds the write lock only briefly.
 * Each returns how many rows went; the caller repeats while a batch comes back full.
 */
export const retentionPrune = {
  /** Failure log entries recorded before `cutoff`. */
  async failures(db: Kysely<Database>, cutoff: string, limit: number): Promise<number> {
    const result = await db
      .deleteFrom('failures')
      .where('id', 'in', db.selectFrom('failures').select('id').where('at', '<', cutoff).limit(limit))
      .executeTakeFirst()
    return Number(result.numDeletedRows)
  },

  /** Rollout statistics of users whose latest attempt was before `cutoff`. */
  async statistics(db: Kysely<Database>, cutoff: string, limit: number): Promise<number> {
    const result = await sql`
      delete from user_attempts where (app_id, platform, user_key) in
        (select app_id, platform, user_key from user_attempts where last_at < ${cutoff} limit ${limit})
    `.execute(db)
    return Number(result.numAffectedRows ?? 0n)
  },

  /** Sign-outs older than any token they could still end. */
  async signOuts(db: Kysely<Database>, cutoff: string, limit: number): Promise<number> {
    const result = await sql`
      delete from sign_outs where (app_id, user_key) in
        (select app_id, user_key from sign_outs where signed_out_before < ${cutoff} limit ${limit})
    `.execute(db)
    return Number(result.numAffectedRows ?? 0n)
  },
}
