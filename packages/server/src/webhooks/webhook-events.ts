import type { StorageTransaction } from '../storage/transaction.js'
import type { WebhookRepository } from '../storage/webhook-repository.js'

/**
 * Every event a webhook can subscribe to. Other features add theirs here (verification.failure_spike,
 * secret.exposed) and call `WebhookEvents.emit`.
 */
export const WEBHOOK_EVENT_TYPES = [
  'platform.enforced',
  'platform.unenforced',
  'secret.created',
  'secret.revoked',
  'user.signed_out',
  'verification.failure_spike',
  'secret.exposed',
  'webhook.test',
] as const
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]

/** A JSON value in an event (alerts carry lists, such as a spike's top diagnoses). */
export type WebhookValue = string | number | boolean | null | readonly WebhookValue[] | { readonly [key: string]: WebhookValue }

/** What an event says; never a secret value, a hash, a token or a key. */
export type WebhookEventData = Readonly<Record<string, WebhookValue>>

/**
 * The one port through which features raise webhook events. `within` is the transaction of the
 * change that causes the event, so the event is queued exactly when the change commits.
 */
export interface WebhookEvents {
  emit(within: StorageTransaction, type: WebhookEventType, data: WebhookEventData, now: Date): Promise<void>
}

/** The payload every receiver gets: `{"type", "timestamp", "data"}`. */
export function webhookPayload(type: WebhookEventType, data: WebhookEventData, now: Date): string {
  return JSON.stringify({ type, timestamp: now.toISOString(), data })
}

export const DEFAULT_MAX_PENDING = 10_000

/** Queues events in storage; the delivery worker sends them. */
export class QueuedWebhookEvents implements WebhookEvents {
  readonly #repo: WebhookRepository
  readonly #maxPending: number
  #dropped = 0

  constructor(repo: WebhookRepository, maxPending = DEFAULT_MAX_PENDING) {
    this.#repo = repo
    this.#maxPending = maxPending
  }

  /** Pending deliveries dropped (oldest first) because their webhook's queue was full (metrics). */
  get dropped(): number {
    return this.#dropped
  }

  async emit(within: StorageTransaction, type: WebhookEventType, data: WebhookEventData, now: Date): Promise<void> {
    this.#dropped += await this.#repo.enqueue(within, { type, payload: webhookPayload(type, data, now), at: now.toISOString() }, this.#maxPending)
  }

  /** The test event, for one webhook whatever it subscribes to. */
  async emitTest(within: StorageTransaction, webhookId: string, now: Date): Promise<void> {
    const type = 'webhook.test'
    const payload = webhookPayload(type, { webhook_id: webhookId }, now)
    this.#dropped += await this.#repo.enqueue(within, { type, payload, at: now.toISOString(), onlyWebhookId: webhookId }, this.#maxPending)
  }
}
