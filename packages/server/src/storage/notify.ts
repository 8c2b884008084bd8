import { PostgresAdapter, sql, type Kysely } from 'kysely'

/**
 * PostgreSQL channels between Verity instances. A NOTIFY sent inside a transaction is delivered on
 * commit, and never for a rollback, so a listener that reacts to it reads the committed change.
 * Payloads are hints, never data: listeners re-read the database.
 */
/** Every configuration write; the payload is the new revision. */
export const CONFIG_CHANNEL = 'verity_config'
/** A message was written (any conversation); live streams on other instances poll at once. */
export const MESSAGES_CHANNEL = 'verity_messages'

/**
 * A verified user's profile changed; the payload names whom (`userProfileKey`), or is empty for
 * "any profile may have changed". Other instances drop what they cached.
 */
export const PROFILES_CHANNEL = 'verity_profiles'

export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter
}

/** NOTIFY `channel` when the surrounding transaction commits; nothing on SQLite (one process polls). */
export async function notifyOnCommit(trx: Kysely<any>, channel: string, payload = ''): Promise<void> {
  if (isPostgres(trx)) await sql`select pg_notify(${channel}, ${payload})`.execute(trx)
}
