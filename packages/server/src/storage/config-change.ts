import type { Kysely, Transaction } from 'kysely'
import { newId } from '../crypto/random-ids.js'
import { CONFIG_CHANNEL, notifyOnCommit } from './notify.js'
import type { Database } from './schema.js'

export { CONFIG_CHANNEL }

export interface AuditEntry {
  readonly actor: string
  readonly action: string
  readonly appId?: string | null
  readonly platform?: string | null
  readonly target?: string | null
  /** Never a secret value, a hash, a token or a key. */
  readonly details?: Record<string, unknown> | null
}

/**
 * Runs a configuration write in one transaction with its audit event. The revision bump comes
 * first: on PostgreSQL its row lock serializes concurrent configuration writes, so invariants
 * checked inside (at least one active secret per platform) hold; other processes notice the new
 * revision and reload what changed: at once through NOTIFY on PostgreSQL, else by their poll.
 */
export async function changeConfig<T>(
  db: Kysely<Database>,
  /** The audit event, or a function of what the write did (an erasure records what it removed). */
  audit: AuditEntry | ((result: T) => AuditEntry),
  now: Date,
  write: (trx: Transaction<Database>, revision: number) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const { revision } = await trx
      .updateTable('config_state')
      .set((eb) => ({ revision: eb('revision', '+', 1) }))
      .where('id', '=', 1)
      .returning('revision')
      .executeTakeFirstOrThrow()
    await notifyOnCommit(trx, CONFIG_CHANNEL, String(revision))
    const result = await write(trx, Number(revision))
    const entry = typeof audit === 'function' ? audit(result) : audit
    if (entry.appId) {
      await trx.updateTable('apps').set({ revision: Number(revision) }).where('id', '=', entry.appId).execute()
    }
    await appendAuditEvent(trx, entry, now)
    return result
  })
}

/** Records an event that changes no configuration (reading secret values), without a revision bump. */
export async function appendAuditEvent(db: Kysely<Database>, audit: AuditEntry, now: Date): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      id: newId('evt', now.getTime()),
      at: now.toISOString(),
      actor: audit.actor,
      action: audit.action,
      app_id: audit.appId ?? null,
      platform: audit.platform ?? null,
      target: audit.target ?? null,
      details: audit.details ? JSON.stringify(audit.details) : null,
    })
    .execute()
}

export async function currentRevision(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('config_state').select('revision').where('id', '=', 1).executeTakeFirstOrThrow()
  return Number(row.revision)
}
