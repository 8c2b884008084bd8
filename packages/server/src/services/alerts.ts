import type { Logger } from 'pino'
import type { AppRuntime } from '../config-cache/app-runtime.js'
import { ALERT_ADVICE, ALERT_TYPES, type AlertType } from '../alerts/alert-types.js'
import { findExposedSecret, type ExposedSecret } from '../alerts/exposed-secret-probe.js'
import { FailureSpikeDetector, SPIKE_WINDOW_MS, type Spike } from '../alerts/failure-spike-detector.js'
import { LEAK_WINDOW_MS, LeakedProofWatch } from '../alerts/leaked-proof-watch.js'
import type { Diagnosis } from '../diagnosis/diagnosis.js'
import type { AlertRepository, NewAlert, StoredAlert } from '../storage/alert-repository.js'
import type { AuthAttemptEvent, AuthEventSink, AuthFailureEvent } from '../verification/auth-events.js'
import type { AuthWatch } from './messenger-auth.js'
import type { Platform } from '../verification/platforms.js'
import { identityKey, type ClaimedIdentity } from '../verification/identity.js'
import type { WebhookEventData, WebhookEvents } from '../webhooks/webhook-events.js'
import { decodeCursor, nextCursor, pageSize } from './pagination.js'

/** Alerts waiting to be written; more (a database away for long) are dropped and counted. */
const MAX_PENDING_ALERTS = 1_000
/** Secrets already reported by this process (the stored once-key decides across processes). */
const MAX_REPORTED_SECRETS = 100_000

/** An alert to store; its details go into the webhook event too. */
type PendingAlert = Omit<NewAlert, 'details'> & { readonly details: WebhookEventData }

export interface AlertView {
  id: string
  type: string
  app_id: string
  platform: string
  created_at: string
  details: Record<string, unknown>
  advice: string
}

export interface AlertsDeps {
  readonly repo: AlertRepository
  readonly webhookEvents: WebhookEvents
  readonly logger: Logger
  /** VERITY_SPIKE_MIN. */
  readonly spikeMin: number
  /** VERITY_LEAK_USERS; 0 turns the rule off. */
  readonly leakUsers: number
}

/**
 * Failure spikes and exposed secrets. The auth path only counts in memory (bounded, see the
 * detectors); `flushed` runs after each statistics flush (every second, off the request path),
 * decides, and writes alerts with their webhook events in one transaction each.
 */
export class Alerts implements AuthWatch {
  readonly #deps: AlertsDeps
  readonly #spikes: FailureSpikeDetector
  readonly #leaks: LeakedProofWatch
  readonly #reportedSecrets = new Set<string>()
  #pending: { alert: PendingAlert; event: WebhookEventData; type: AlertType; at: number }[] = []
  #writing: Promise<void> = Promise.resolve()
  readonly raised: Record<AlertType, number> = Object.fromEntries(ALERT_TYPES.map((t) => [t, 0])) as Record<AlertType, number>
  #dropped = 0

  constructor(deps: AlertsDeps) {
    this.#deps = deps
    this.#spikes = new FailureSpikeDetector(deps.spikeMin)
    this.#leaks = new LeakedProofWatch(deps.leakUsers)
  }

  get dropped(): number {
    return this.#dropped
  }

  /** Wraps the statistics sink so that every identified attempt is counted for spikes on its way. */
  countingSink(inner: AuthEventSink): AuthEventSink {
    const spikes = this.#spikes
    return {
      attempt(event: AuthAttemptEvent): void {
        spikes.attempt(event.appId, event.platform, event.outcome === 'invalid', event.at)
        inner.attempt(event)
      },
      failure(event: AuthFailureEvent): void {
        // An unreadable token has no identity, so no attempt event: it is counted here.
        if (event.tokenFailure === 'unreadable') spikes.attempt(event.appId, event.platform, true, event.at)
        inner.failure(event)
      },
    }
  }

  /** On the auth path: the secret of this app a client sent in `fields`, reported once. */
  secretSent(app: AppRuntime, platform: Platform, fields: object, now: number): ExposedSecret | null {
    const exposed = findExposedSecret(app, fields)
    if (exposed === null || this.#reportedSecrets.has(exposed.secretId)) return exposed
    if (this.#reportedSecrets.size >= MAX_REPORTED_SECRETS) this.#reportedSecrets.clear()
    this.#reportedSecrets.add(exposed.secretId)
    this.#queue('secret.exposed', {
      type: 'secret.exposed',
      appId: app.id,
      platform: exposed.platform,
      details: { reason: 'secret_sent_by_client', diagnosis: 'secret_sent_by_client', secret_id: exposed.secretId, fields: exposed.fields, sent_on_platform: platform },
      onceKey: `secret_sent_by_client:${exposed.secretId}`,
    }, now)
    return exposed
  }

  /** On the auth path, for a valid proof: the leak rule per device id and per client address. */
  verified(appId: string, platform: Platform, identity: ClaimedIdentity, deviceId: string | undefined, client: string, now: number): void {
    if (this.#deps.leakUsers === 0) return
    const user = identityKey(identity)
    const prefix = `${appId}\u0000${platform}\u0000`
    if (deviceId !== undefined && this.#leaks.verified(`${prefix}d\u0000${deviceId}`, user, now)) this.#leak(appId, platform, 'device', deviceId, now)
    if (this.#leaks.verified(`${prefix}a\u0000${client}`, user, now)) this.#leak(appId, platform, 'client_address', client, now)
  }

  /** After each statistics flush: diagnoses of the flushed failures, then the spike rule. */
  flushed(diagnosed: readonly { readonly failure: AuthFailureEvent; readonly diagnosis: Diagnosis }[], now: number): void {
    for (const { failure, diagnosis } of diagnosed) {
      if (failure.code === 'user_hash_invalid') this.#spikes.diagnosed(failure.appId, failure.platform, diagnosis, failure.appVersion, failure.at)
    }
    for (const spike of this.#spikes.evaluate(now)) this.#spike(spike, now)
    if (this.#pending.length > 0) this.#writing = this.#writing.then(() => this.#write())
  }

  /** Waits for the alerts decided so far to be written (tests, shutdown). */
  settled(): Promise<void> {
    return this.#writing
  }

  async list(options: { limit?: number | undefined; cursor?: string | undefined }): Promise<{ alerts: AlertView[]; next_cursor: string | null }> {
    const limit = pageSize(options.limit)
    const before = decodeCursor(options.cursor, /^alrt_[0-9a-z]{26}$/)
    const rows = await this.#deps.repo.list(limit, before)
    const alerts = rows.map(alertView)
    return { alerts, next_cursor: nextCursor(alerts, limit) }
  }

  #spike(spike: Spike, now: number): void {
    // Bucketed by window: instances that see the same spike from their own share store it once per window.
    const window = Math.floor(now / SPIKE_WINDOW_MS)
    this.#queue('verification.failure_spike', {
      type: 'verification.failure_spike',
      appId: spike.appId,
      platform: spike.platform,
      details: { reason: 'failure_spike', invalid: spike.invalid, attempts: spike.attempts, window_minutes: SPIKE_WINDOW_MS / 60_000, top_diagnoses: spike.topDiagnoses, top_app_versions: spike.topAppVersions },
      onceKey: `failure_spike:${spike.appId}:${spike.platform}:${window}`,
    }, now)
  }

  #leak(appId: string, platform: Platform, source: 'device' | 'client_address', value: string, now: number): void {
    const window = Math.floor(now / LEAK_WINDOW_MS)
    this.#queue('secret.exposed', {
      type: 'secret.exposed',
      appId,
      platform,
      details: { reason: 'leaked_proofs', source, [source === 'device' ? 'device_id' : 'client_address']: value, users_over: this.#deps.leakUsers, window_minutes: LEAK_WINDOW_MS / 60_000 },
      onceKey: `leaked_proofs:${appId}:${platform}:${window}`,
    }, now)
  }

  #queue(type: AlertType, alert: PendingAlert, now: number): void {
    if (this.#pending.length >= MAX_PENDING_ALERTS) {
      this.#dropped++
      return
    }
    this.#pending.push({ alert, event: { app_id: alert.appId, platform: alert.platform, ...alert.details, advice: adviceOf(alert.details) }, type, at: now })
  }

  async #write(): Promise<void> {
    const pending = this.#pending
    this.#pending = []
    for (const [i, { alert, event, type, at }] of pending.entries()) {
      try {
        const stored = await this.#deps.repo.raise(alert, at, (trx) => this.#deps.webhookEvents.emit(trx, type, event, new Date(at)))
        if (stored) {
          this.raised[type]++
          this.#deps.logger.warn({ alert: type, reason: alert.details.reason, app_id: alert.appId, platform: alert.platform }, 'alert raised')
        }
      } catch (error) {
        // Kept for the next flush: the database may be back by then.
        const left = pending.slice(i)
        this.#pending = [...left, ...this.#pending].slice(0, MAX_PENDING_ALERTS)
        this.#deps.logger.error({ err: error, waiting: this.#pending.length }, 'could not store an alert; will retry')
        return
      }
    }
  }
}

/** An alert as the API shows it (GET /admin/v1/alerts, and the live `alert` event). */
export function alertView(r: StoredAlert): AlertView {
  return { id: r.id, type: r.type, app_id: r.appId, platform: r.platform, created_at: r.createdAt, details: r.details, advice: adviceOf(r.details) }
}

function adviceOf(details: Readonly<Record<string, unknown>>): string {
  const reason = details.reason
  return typeof reason === 'string' && reason in ALERT_ADVICE ? ALERT_ADVICE[reason as keyof typeof ALERT_ADVICE] : ''
}
