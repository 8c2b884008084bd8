import type { Logger } from 'pino'
import type { DeliveryRow, WebhookRepository } from '../storage/webhook-repository.js'
import { postWebhook, type PostResult } from './post-webhook.js'
import { DEFAULT_RETRY_SCHEDULE_MS, nextAttemptAt, RETRY_FOR_MS } from './retry-schedule.js'
import { signWebhook } from './webhook-signature.js'

export interface WebhookWorkerOptions {
  readonly repo: WebhookRepository
  readonly logger: Logger
  /** Development: http, loopback and private addresses may be reached (VERITY_WEBHOOKS_ALLOW_HTTP). */
  readonly allowPrivate: boolean
  readonly schedule?: readonly number[]
  readonly retryForMs?: number
  readonly pollMs?: number
  readonly concurrency?: number
  readonly timeoutMs?: number
  readonly onDatabaseError?: () => void
}

/** Longer than a delivery can take, so a claim outlives its attempt unless the process died. */
const LEASE_MS = 60_000

/**
 * Delivers queued events from a timer, never on a request's path: a few at a time, each bounded
 * in time; failures are retried on the schedule for a day, then marked failed.
 */
export class WebhookWorker {
  readonly #o: Required<Omit<WebhookWorkerOptions, 'onDatabaseError'>> & Pick<WebhookWorkerOptions, 'onDatabaseError'>
  readonly #inFlight = new Set<Promise<void>>()
  #timer: NodeJS.Timeout | null = null
  #tick: Promise<void> | null = null
  /** Attempts by what came of them, for the metrics. */
  readonly outcomes = { delivered: 0, retrying: 0, failed: 0 }

  constructor(options: WebhookWorkerOptions) {
    this.#o = {
      schedule: DEFAULT_RETRY_SCHEDULE_MS,
      retryForMs: RETRY_FOR_MS,
      pollMs: 1_000,
      concurrency: 4,
      timeoutMs: 10_000,
      ...options,
    }
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.tick(), this.#o.pollMs)
    this.#timer.unref()
  }

  /**
   * Stops claiming, and waits for a claim under way and the attempts it started (each ends within
   * the timeout), so no claimed delivery is left waiting for its lease to end.
   */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await this.#tick
    await Promise.allSettled([...this.#inFlight])
  }

  /** One round: claims what is due, up to the free delivery slots. */
  tick(): Promise<void> {
    this.#tick ??= this.#claim().finally(() => {
      this.#tick = null
    })
    return this.#tick
  }

  async #claim(): Promise<void> {
    try {
      const room = this.#o.concurrency - this.#inFlight.size
      if (room <= 0) return
      const claimed = await this.#o.repo.claimDue(room, new Date(), LEASE_MS)
      // A full claim means more may be due: each finished attempt claims again at once, so a
      // backlog drains at the receiver's pace rather than a few per poll.
      const more = claimed.length === room
      for (const delivery of claimed) {
        const attempt = this.#deliver(delivery).catch((error: unknown) => {
          this.#o.onDatabaseError?.()
          this.#o.logger.warn({ err: error, delivery: delivery.id }, 'could not record a webhook attempt')
        })
        this.#inFlight.add(attempt)
        void attempt.finally(() => {
          this.#inFlight.delete(attempt)
          if (more && this.#timer !== null) void this.tick()
        })
      }
    } catch (error) {
      this.#o.onDatabaseError?.()
      this.#o.logger.warn({ err: error }, 'could not read the webhook queue')
    }
  }

  async #deliver(delivery: DeliveryRow): Promise<void> {
    const hook = await this.#o.repo.get(delivery.webhook_id)
    // The webhook was deleted meanwhile, its deliveries with it.
    if (!hook) return
    const secrets = (await this.#o.repo.signingSecrets(hook.id, new Date())) ?? []
    let result: PostResult
    if (secrets.length === 0) {
      // Never sent unsigned; retried on the schedule, in case the right master key comes back.
      result = { error: 'the signing secret does not open with this master key' }
    } else {
      const timestamp = Math.floor(Date.now() / 1000)
      const headers = {
        'webhook-id': delivery.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(secrets, delivery.id, timestamp, delivery.payload),
      }
      result = await postWebhook(hook.url, delivery.payload, headers, { timeoutMs: this.#o.timeoutMs, allowPrivate: this.#o.allowPrivate })
    }
    const now = new Date()
    const status = 'status' in result ? result.status : null
    const error = attemptError(result)
    const attempt = { at: now.toISOString(), status, error }
    if (error === null) {
      this.outcomes.delivered++
      return this.#o.repo.recordAttempt(delivery, attempt, { status: 'delivered', nextAttemptAt: null })
    }
    const next = nextAttemptAt(delivery.attempts + 1, new Date(delivery.created_at), now, this.#o.schedule, this.#o.retryForMs)
    this.#o.logger.info({ webhook: hook.id, delivery: delivery.id, status, error, retry: next?.toISOString() ?? null }, 'webhook delivery failed')
    this.outcomes[next ? 'retrying' : 'failed']++
    await this.#o.repo.recordAttempt(delivery, attempt, next ? { status: 'pending', nextAttemptAt: next.toISOString() } : { status: 'failed', nextAttemptAt: null })
  }
}

/** Why an attempt failed, or null for a delivery (a 2xx). */
function attemptError(result: PostResult): string | null {
  if ('error' in result) return result.error
  const { status } = result
  if (status >= 200 && status <= 299) return null
  if (status >= 300 && status <= 399) return `answered ${status} (redirects are not followed)`
  return `answered ${status}`
}
