import type { Kysely } from 'kysely'
import { PLATFORMS } from '../verification/platforms.js'
import { userRowsPerStatement } from './background-batches.js'
import type { Database } from './schema.js'

/** Rows per statement while an app's data goes: each statement holds the write lock only briefly. */
export const DELETE_BATCH = 500

const letRequestsRun = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * Deletes an app's data (conversations and messages, profiles, statistics, failures) in small
 * batches, each its own short transaction, so that a large app's deletion never holds SQLite's
 * write lock (or many PostgreSQL row locks) for long. The app keeps serving meanwhile; what it
 * writes in between goes with `deleteAppRows`.
 */
export async function deleteAppDataInBatches(db: Kysely<Database>, appId: string): Promise<void> {
  for (;;) {
    const ids = (await db.selectFrom('conversations').select('id').where('app_id', '=', appId).limit(DELETE_BATCH).execute()).map((r) => r.id)
    if (ids.length === 0) break
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('messages').where('conversation_id', 'in', ids).execute()
      await trx.deleteFrom('conversations').where('id', 'in', ids).execute()
    })
    await letRequestsRun()
  }
  for (;;) {
    const keys = (await db.selectFrom('users').select('user_key').where('app_id', '=', appId).limit(DELETE_BATCH).execute()).map((r) => r.user_key)
    if (keys.length === 0) break
    await db.deleteFrom('users').where('app_id', '=', appId).where('user_key', 'in', keys).execute()
    await letRequestsRun()
  }
  // Statistics platform by platform, so each delete seeks its rows through the primary key (app,
  // platform, user): by app and keys alone, each batch read every one of the app's rows.
  const statisticsBatch = userRowsPerStatement(db)
  for (const platform of PLATFORMS) {
    for (;;) {
      const keys = (await db.selectFrom('user_attempts').select('user_key').where('app_id', '=', appId).where('platform', '=', platform).limit(statisticsBatch).execute()).map((r) => r.user_key)
      if (keys.length === 0) break
      await db.deleteFrom('user_attempts').where('app_id', '=', appId).where('platform', '=', platform).where('user_key', 'in', keys).execute()
      await letRequestsRun()
    }
  }
  for (;;) {
    const ids = (await db.selectFrom('failures').select('id').where('app_id', '=', appId).limit(DELETE_BATCH).execute()).map((r) => r.id)
    if (ids.length === 0) break
    await db.deleteFrom('failures').where('id', 'in', ids).execute()
    await letRequestsRun()
  }
}

/** Deletes whatever the app still has, its configuration last, within the caller's transaction. */
export async function deleteAppRows(trx: Kysely<Database>, appId: string): Promise<void> {
  await trx.deleteFrom('messages').where('app_id', '=', appId).execute()
  for (const table of ['conversations', 'users', 'user_attempts', 'rollout_counts', 'failures', 'alerts', 'sign_outs', 'secrets', 'platforms'] as const) {
    await trx.deleteFrom(table).where('app_id', '=', appId).execute()
  }
  await trx.deleteFrom('apps').where('id', '=', appId).execute()
}

/** What the statistics writer may still add for an app after its deletion: attempts and failures. */
export async function deleteAppStatistics(db: Kysely<Database>, appId: string): Promise<void> {
  await db.deleteFrom('user_attempts').where('app_id', '=', appId).execute()
  await db.deleteFrom('rollout_counts').where('app_id', '=', appId).execute()
  await db.deleteFrom('failures').where('app_id', '=', appId).execute()
}
