import type { Kysely, Transaction } from 'kysely'
import { newId } from '../crypto/random-ids.js'
import { durably } from './durable-commits.js'
import { CONFIG_CHANNEL, notifyOnCommit } from './notify.js'
import type { Database } from './schema.js'
import type { StorageTransaction } from './transaction.js'

export { CONFIG_CHANNEL }

/** Who acts: a name (`teammate:…`, `token:…`, `admin_key:…`, `cli:…`), with the client address over HTTP. */
export type Actor = string | { readonly name: string; readonly client: string | null }

export function actorName(actor: Actor): string {
  return typeof actor === 'string' ? actor : actor.name
}

export interface AuditEntry {
  readonly actor: Actor
  readonly action: string
  readonly appId?: string | null
  readonly platform?: string | null
  readonly target?: string | null
  /** Never a secret value, a hash, a token or a key. */
  readonly details?: Record<string, unknown> | null
  /** The client address of the request that made the change; none from the CLI. */
  readonly client?: string | null
}

/**
 * Runs a configuration write in one transaction with its audit event, synced to disk before it
 * returns (durably: a revoked secret must not come back after a power cut). The revision bump comes
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
  return durably(db, () => db.transaction().execute(async (trx) => {
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
  }))
}

/** Records an event that changes no configuration (reading secret values), without a revision bump. */
export async function appendAuditEvent(db: Kysely<Database>, audit: AuditEntry, now: Date): Promise<void> {
  await db
    .insertInto('audit_events')
    .values({
      id: newId('evt', now.getTime()),
      at: now.toISOString(),
      actor: actorName(audit.actor),
      action: audit.action,
      app_id: audit.appId ?? null,
      platform: audit.platform ?? null,
      target: audit.target ?? null,
      details: audit.details ? JSON.stringify(audit.details) : null,
      client: audit.client ?? (typeof audit.actor === 'string' ? null : audit.actor.client),
    })
    .execute()
}

/**
 * Configuration changes and audit events, for services: each write runs in one transaction with
 * its audit event, and the work done inside gets the transaction to pass to other repositories.
 */
export class ConfigChanges {
  readonly #db: Kysely<Database>

  constructor(db: Kysely<Database>) {
    this.#db = db
  }

  /** A configuration write: revision bump, the write, the audit event, in one transaction (changeConfig). */
  change<T>(audit: AuditEntry | ((result: T) => AuditEntry), now: Date, write: (trx: StorageTransaction, revision: number) => Promise<T>): Promise<T> {
    return changeConfig(this.#db, audit, now, write)
  }

  /** A write that changes no served configuration (webhooks), with its audit event, in one transaction. */
  record<T>(audit: AuditEntry, now: Date, write: (trx: StorageTransaction) => Promise<T>): Promise<T> {
    return this.#db.transaction().execute(async (trx) => {
      const result = await write(trx)
      await appendAuditEvent(trx, audit, now)
      return result
    })
  }

  /** An audit event alone (reading secret values, creating a personal token). */
  append(audit: AuditEntry, now: Date): Promise<void> {
    return appendAuditEvent(this.#db, audit, now)
  }

  revision(): Promise<number> {
    return currentRevision(this.#db)
  }
}

export async function currentRevision(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('config_state').select('revision').where('id', '=', 1).executeTakeFirstOrThrow()
  return Number(row.revision)
}
