import type { Kysely } from 'kysely'
import { isPostgres } from './notify.js'
import type { Database } from './schema.js'
import { eraseUserAttempts } from './statistics-writes.js'

/** One user of one app, in every form a table may hold them. */
export interface ErasureTarget {
  readonly appId: string
  /** The namespaced identity, `uid:<id>` or `email:<email>`, as conversations, profiles and audit targets hold it. */
  readonly identityKey: string
  /** Its digest, as the statistics hold it. */
  readonly digest: string
  /** Exactly one is set: the namespace the user is known by. */
  readonly userId: string | null
  readonly email: string | null
  /** PostgreSQL's shared failure limit: its keys (digests) for this user on each platform. */
  readonly failureLimitKeys: readonly string[]
}

export interface ErasedRows {
  conversations: number
  messages: number
  profiles: number
  statistics: number
  failures: number
  audit_targets_cleared: number
}

const count = (result: { numDeletedRows?: bigint; numUpdatedRows?: bigint } | undefined): number =>
  Number(result?.numDeletedRows ?? result?.numUpdatedRows ?? 0n)

/**
 * Deletes every row of one user of one app, within the caller's transaction: conversations the
 * user's sessions started (verified, or unverified under this identity) with all their messages,
 * the profile, the statistics, the failure log's entries and the failure limit's count. Audit
 * events that named the user (a sign-out) keep what happened but no longer whom.
 */
export async function eraseUserRows(trx: Kysely<Database>, target: ErasureTarget): Promise<ErasedRows> {
  const { appId, identityKey } = target
  const conversationIds = trx.selectFrom('conversations').select('id').where('app_id', '=', appId).where('user_key', '=', identityKey)
  const messages = count(await trx.deleteFrom('messages').where('conversation_id', 'in', conversationIds).executeTakeFirst())
  const conversations = count(await trx.deleteFrom('conversations').where('app_id', '=', appId).where('user_key', '=', identityKey).executeTakeFirst())
  const profiles = count(await trx.deleteFrom('users').where('app_id', '=', appId).where('user_key', '=', identityKey).executeTakeFirst())
  const { statistics, failures } = await eraseUserStatistics(trx, target)
  const audit = count(
    await trx.updateTable('audit_events').set({ target: null }).where('app_id', '=', appId).where('target', '=', identityKey).executeTakeFirst(),
  )
  return { conversations, messages, profiles, statistics, failures, audit_targets_cleared: audit }
}

/**
 * The user's rows that the statistics writer adds in the background: rollout statistics, failure-log
 * entries and (PostgreSQL) the failure limit's count. Also run again a little after an erasure,
 * for attempts made before it that an instance had not written yet.
 */
export async function eraseUserStatistics(db: Kysely<Database>, target: ErasureTarget): Promise<{ statistics: number; failures: number }> {
  const { appId } = target
  const statistics = await eraseUserAttempts(db, appId, target.digest)
  let failures = db.deleteFrom('failures').where('app_id', '=', appId)
  // The failure log keeps the identifiers as sent: a user id (with or without an email beside it),
  // or an email alone.
  failures = target.userId !== null ? failures.where('user_id', '=', target.userId) : failures.where('user_id', 'is', null).where('email', '=', target.email)
  const failureRows = count(await failures.executeTakeFirst())
  if (isPostgres(db) && target.failureLimitKeys.length > 0) {
    await db.deleteFrom('failure_limits').where('key', 'in', [...target.failureLimitKeys]).execute()
  }
  return { statistics, failures: failureRows }
}
