import { sql, type Kysely } from 'kysely'
import { newId } from '../crypto/random-ids.js'
import type { SecretBox } from '../crypto/secret-box.js'
import { isPostgres } from './notify.js'
import type { Database, WebhookDeliveriesTable, WebhooksTable } from './schema.js'

export const webhookSecretAad = (webhookId: string): string => `verity/webhook-secret/v1|${webhookId}`

export interface StoredWebhook {
  readonly id: string
  readonly url: string
  readonly events: readonly string[]
  readonly createdAt: string
  /** When the previous secret stops signing beside the current one; null when there is none. */
  readonly previousUntil: string | null
}

export interface AttemptRecord {
  readonly at: string
  readonly status: number | null
  readonly error: string | null
}

export type DeliveryRow = WebhookDeliveriesTable

/** Each delivery keeps this many attempts in its log (the newest). */
const ATTEMPT_LOG_MAX = 20
/** Finished deliveries (delivered or failed) kept per webhook for the delivery log. */
const FINISHED_KEPT = 1_000

/** Webhooks, their sealed secrets, and the delivery queue; all webhook SQL lives here. */
export class WebhookRepository {
  readonly #db: Kysely<Database>
  readonly #box: SecretBox

  constructor(db: Kysely<Database>, box: SecretBox) {
    this.#db = db
    this.#box = box
  }

  seal(webhookId: string, secret: string): string {
    return this.#box.seal(secret, webhookSecretAad(webhookId))
  }

  async insert(db: Kysely<Database>, row: { id: string; url: string; events: readonly string[]; secret: string; at: string }): Promise<void> {
    await db
      .insertInto('webhooks')
      .values({ id: row.id, url: row.url, events: JSON.stringify(row.events), ciphertext: this.seal(row.id, row.secret), previous_ciphertext: null, previous_until: null, created_at: row.at })
      .execute()
  }

  async count(): Promise<number> {
    const row = await this.#db.selectFrom('webhooks').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow()
    return Number(row.n)
  }

  async list(): Promise<StoredWebhook[]> {
    const rows = await this.#db.selectFrom('webhooks').selectAll().orderBy('id').execute()
    return rows.map(view)
  }

  async get(id: string): Promise<StoredWebhook | null> {
    const row = await this.#db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst()
    return row ? view(row) : null
  }

  /** The secrets that sign now: the current one first, then the previous one during its overlap. */
  async signingSecrets(id: string, now: Date): Promise<string[] | null> {
    const row = await this.#db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst()
    if (!row) return null
    const secrets: string[] = []
    const current = this.#box.open(row.ciphertext, webhookSecretAad(id))
    if (current !== null) secrets.push(current)
    if (row.previous_ciphertext && row.previous_until && row.previous_until > now.toISOString()) {
      const previous = this.#box.open(row.previous_ciphertext, webhookSecretAad(id))
      if (previous !== null) secrets.push(previous)
    }
    return secrets
  }

  /** Makes `secret` current; the current one signs beside it until `previousUntil`. */
  async rotate(db: Kysely<Database>, id: string, secret: string, previousUntil: string): Promise<boolean> {
    const result = await db
      .updateTable('webhooks')
      .set((eb) => ({ previous_ciphertext: eb.ref('ciphertext'), previous_until: previousUntil, ciphertext: this.seal(id, secret) }))
      .where('id', '=', id)
      .executeTakeFirst()
    return Number(result.numUpdatedRows) > 0
  }

  async delete(db: Kysely<Database>, id: string): Promise<boolean> {
    await db.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute()
    const result = await db.deleteFrom('webhooks').where('id', '=', id).executeTakeFirst()
    return Number(result.numDeletedRows) > 0
  }

  /**
   * Queues one delivery of the event per webhook that subscribes to it (or only to `onlyWebhookId`),
   * inside the caller's transaction. Beyond `maxPending` pending deliveries for a webhook the oldest
   * pending are dropped, so a dead endpoint cannot fill the disk; returns how many were dropped.
   */
  async enqueue(db: Kysely<Database>, event: { type: string; payload: string; at: string; onlyWebhookId?: string }, maxPending: number): Promise<number> {
    let query = db.selectFrom('webhooks').select(['id', 'events'])
    if (event.onlyWebhookId) query = query.where('id', '=', event.onlyWebhookId)
    const hooks = await query.execute()
    let dropped = 0
    for (const hook of hooks) {
      if (!event.onlyWebhookId && !(JSON.parse(hook.events) as string[]).includes(event.type)) continue
      await db
        .insertInto('webhook_deliveries')
        .values({
          id: newId('msg', Date.parse(event.at)),
          webhook_id: hook.id,
          event_type: event.type,
          payload: event.payload,
          status: 'pending',
          attempts: 0,
          next_attempt_at: event.at,
          lease_until: null,
          last_response_status: null,
          last_error: null,
          attempt_log: '[]',
          created_at: event.at,
          updated_at: event.at,
        })
        .execute()
      dropped += await this.#trim(db, hook.id, 'pending', maxPending)
    }
    return dropped
  }

  /** Deletes the oldest rows of a webhook in this state beyond `keep`; returns how many. */
  async #trim(db: Kysely<Database>, webhookId: string, state: 'pending' | 'finished', keep: number): Promise<number> {
    const op = state === 'pending' ? '=' : '!='
    const row = await db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('webhook_id', '=', webhookId)
      .where('status', op, 'pending')
      .executeTakeFirstOrThrow()
    const excess = Number(row.n) - keep
    if (excess <= 0) return 0
    const oldest = db.selectFrom('webhook_deliveries').select('id').where('webhook_id', '=', webhookId).where('status', op, 'pending').orderBy('id').limit(excess)
    await db.deleteFrom('webhook_deliveries').where('id', 'in', oldest).execute()
    return excess
  }

  /**
   * Claims up to `limit` due deliveries for this process with a lease: on PostgreSQL the rows
   * another instance is claiming are skipped (FOR UPDATE SKIP LOCKED), and a claimed row is not due
   * again until its lease ends, so one instance delivers it (again only if that instance died).
   */
  async claimDue(limit: number, now: Date, leaseMs: number): Promise<DeliveryRow[]> {
    const at = now.toISOString()
    const leaseUntil = new Date(now.getTime() + leaseMs).toISOString()
    const postgres = isPostgres(this.#db)
    const due = this.#db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', at)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', at)]))
      .orderBy('next_attempt_at')
      .limit(limit)
      .$if(postgres, (q) => q.forUpdate().skipLocked())
    return this.#db
      .updateTable('webhook_deliveries')
      .set({ lease_until: leaseUntil })
      .where('id', 'in', due)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', at)]))
      .returningAll()
      .execute()
  }

  /** Records one attempt and what follows it: delivered, failed, or pending again at `nextAttemptAt`. */
  async recordAttempt(delivery: DeliveryRow, attempt: AttemptRecord, next: { status: 'delivered' | 'failed' | 'pending'; nextAttemptAt: string | null }): Promise<void> {
    const log = [...(JSON.parse(delivery.attempt_log) as AttemptRecord[]), attempt].slice(-ATTEMPT_LOG_MAX)
    await this.#db
      .updateTable('webhook_deliveries')
      .set({
        status: next.status,
        attempts: sql<number>`attempts + 1`,
        next_attempt_at: next.nextAttemptAt,
        lease_until: null,
        last_response_status: attempt.status,
        last_error: attempt.error,
        attempt_log: JSON.stringify(log),
        updated_at: attempt.at,
      })
      .where('id', '=', delivery.id)
      .execute()
    if (next.status !== 'pending') await this.#trim(this.#db, delivery.webhook_id, 'finished', FINISHED_KEPT)
  }

  /** The delivery log of one webhook, newest first, `before` an id for the next page. */
  async deliveries(webhookId: string, limit: number, before: string | null): Promise<DeliveryRow[]> {
    return this.#db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('webhook_id', '=', webhookId)
      .$if(before !== null, (q) => q.where('id', '<', before!))
      .orderBy('id', 'desc')
      .limit(limit)
      .execute()
  }
}

function view(row: WebhooksTable): StoredWebhook {
  return { id: row.id, url: row.url, events: JSON.parse(row.events) as string[], createdAt: row.created_at, previousUntil: row.previous_until }
}
