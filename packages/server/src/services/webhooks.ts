import { newId } from '../crypto/random-ids.js'
import { VerityError } from '../errors/verity-error.js'
import type { Actor, ConfigChanges } from '../storage/config-change.js'
import type { AttemptRecord, DeliveryRow, StoredWebhook, WebhookRepository } from '../storage/webhook-repository.js'
import { webhookUrlProblem } from '../webhooks/webhook-address.js'
import type { QueuedWebhookEvents, WebhookEventType } from '../webhooks/webhook-events.js'
import { newWebhookSecret } from '../webhooks/webhook-signature.js'
import { decodeCursor, encodeCursor, pageSize } from './pagination.js'

export const WEBHOOK_ID_PATTERN = /^whk_[0-9a-z]{26}$/
const DELIVERY_ID_PATTERN = /^msg_[0-9a-z]{26}$/
/** Endpoints per server: each event is queued once per subscriber, so their number bounds the work. */
export const MAX_WEBHOOKS = 50
/** After a rotation the previous secret keeps signing for this long. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000

export interface WebhookView {
  id: string
  url: string
  events: string[]
  created_at: string
  previous_secret_until: string | null
}

export interface DeliveryView {
  id: string
  event_type: string
  status: string
  attempts: number
  next_attempt_at: string | null
  last_response_status: number | null
  last_error: string | null
  created_at: string
  updated_at: string
  attempt_log: AttemptRecord[]
}

export interface WebhooksDeps {
  readonly changes: ConfigChanges
  readonly repo: WebhookRepository
  readonly events: QueuedWebhookEvents
  /** VERITY_WEBHOOKS_ALLOW_HTTP: http, loopback and private addresses allowed (development). */
  readonly allowDevelopment: boolean
  readonly now?: () => Date
}

/** Webhook endpoints for the admin API: every change is audited, secret values are shown once. */
export class Webhooks {
  readonly #d: WebhooksDeps
  readonly #now: () => Date

  constructor(deps: WebhooksDeps) {
    this.#d = deps
    this.#now = deps.now ?? (() => new Date())
  }

  async create(input: { url: string; events: WebhookEventType[] }, actor: Actor): Promise<WebhookView & { secret: string }> {
    const problem = webhookUrlProblem(input.url, this.#d.allowDevelopment)
    if (problem) throw new VerityError('webhook_url_refused', problem)
    if ((await this.#d.repo.count()) >= MAX_WEBHOOKS) throw new VerityError('webhook_limit_reached')
    const now = this.#now()
    const id = newId('whk', now.getTime())
    const secret = newWebhookSecret()
    const events = [...new Set(input.events)]
    await this.#d.changes.record({ actor, action: 'webhook.created', target: id, details: { url: input.url, events } }, now, (trx) =>
      this.#d.repo.insert(trx, { id, url: input.url, events, secret, at: now.toISOString() }),
    )
    return { ...webhookView((await this.#d.repo.get(id))!), secret }
  }

  async list(): Promise<WebhookView[]> {
    return (await this.#d.repo.list()).map(webhookView)
  }

  async delete(id: string, actor: Actor): Promise<void> {
    const now = this.#now()
    await this.#d.changes.record({ actor, action: 'webhook.deleted', target: id }, now, async (trx) => {
      if (!(await this.#d.repo.delete(trx, id))) throw new VerityError('not_found', 'No webhook has this id.')
    })
  }

  /** A new secret; the old one keeps signing beside it for 24 hours, so receivers can move over. */
  async rotateSecret(id: string, actor: Actor): Promise<WebhookView & { secret: string }> {
    const now = this.#now()
    const secret = newWebhookSecret()
    const until = new Date(now.getTime() + ROTATION_OVERLAP_MS).toISOString()
    await this.#d.changes.record({ actor, action: 'webhook.secret_rotated', target: id }, now, async (trx) => {
      if (!(await this.#d.repo.rotate(trx, id, secret, until))) throw new VerityError('not_found', 'No webhook has this id.')
    })
    return { ...webhookView((await this.#d.repo.get(id))!), secret }
  }

  /** Queues a `webhook.test` event for this webhook, whatever it subscribes to. */
  async sendTest(id: string, actor: Actor): Promise<void> {
    const now = this.#now()
    await this.#require(id)
    await this.#d.changes.record({ actor, action: 'webhook.tested', target: id }, now, (trx) => this.#d.events.emitTest(trx, id, now))
  }

  async deliveries(id: string, options: { limit?: number; cursor?: string }): Promise<{ deliveries: DeliveryView[]; next_cursor: string | null }> {
    await this.#require(id)
    const limit = pageSize(options.limit)
    const before = decodeCursor(options.cursor, DELIVERY_ID_PATTERN)
    const rows = await this.#d.repo.deliveries(id, limit, before)
    return { deliveries: rows.map(deliveryView), next_cursor: rows.length === limit ? encodeCursor(rows[rows.length - 1]!.id) : null }
  }

  async #require(id: string): Promise<StoredWebhook> {
    const hook = await this.#d.repo.get(id)
    if (!hook) throw new VerityError('not_found', 'No webhook has this id.')
    return hook
  }
}

function webhookView(hook: StoredWebhook): WebhookView {
  return { id: hook.id, url: hook.url, events: [...hook.events], created_at: hook.createdAt, previous_secret_until: hook.previousUntil }
}

function deliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    event_type: row.event_type,
    status: row.status,
    attempts: Number(row.attempts),
    next_attempt_at: row.next_attempt_at,
    last_response_status: row.last_response_status === null ? null : Number(row.last_response_status),
    last_error: row.last_error,
    created_at: row.created_at,
    updated_at: row.updated_at,
    attempt_log: JSON.parse(row.attempt_log) as AttemptRecord[],
  }
}
