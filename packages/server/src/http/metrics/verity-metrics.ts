import type { IntervalHistogram } from 'node:perf_hooks'
import { lateSeconds, startLoopDelay } from './loop-lateness.js'
import { PLATFORMS, type Platform } from '../../verification/platforms.js'
import { ExpositionWriter, Histogram } from './exposition.js'

/** Every outcome of POST /v1/messenger/auth that reached the handler, as the `result` label. */
export const AUTH_RESULTS = [
  'verified', // 200, proof valid
  'unverified', // 200, identified without a valid proof on a platform not enforced
  'anonymous', // 200, no identity
  'user_hash_missing', // 401
  'user_hash_invalid', // 401
  'rate_limited', // 429
  'app_not_found', // 404
  'invalid_request', // 400 found by the handler (both proofs, identity beside a token)
  'unavailable', // 503: configuration too old (fail closed)
  'error', // anything else
] as const
export type AuthResult = (typeof AUTH_RESULTS)[number]

export const DATABASE_ERROR_SOURCES = ['request', 'config_refresh', 'statistics_flush', 'listener', 'failure_limit', 'webhooks'] as const
export type DatabaseErrorSource = (typeof DATABASE_ERROR_SOURCES)[number]

const RESULT_INDEX = Object.fromEntries(AUTH_RESULTS.map((r, i) => [r, i])) as Record<AuthResult, number>
const PLATFORM_INDEX = Object.fromEntries(PLATFORMS.map((p, i) => [p, i])) as Record<Platform, number>
const SLOTS = PLATFORMS.length * AUTH_RESULTS.length
/** The app_id label for an app id this server does not know (never the id itself: unbounded). */
export const UNKNOWN_APP = 'unknown'
const AUTH_PATH = '/v1/messenger/auth'
/** Seconds: from 100 µs (a cached HMAC and a signature) to 2.5 s. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

/** What the metrics read at scrape time. */
export interface MetricSources {
  readonly isKnownApp: (appId: string) => boolean
  readonly ready: () => boolean
  readonly config: { ageMs(): number; readonly maxAgeMs: number; readonly revision: number; readonly refreshFailures: number }
  readonly statistics: { readonly pending: number; readonly dropped: number }
  readonly listener?: { readonly connected: boolean; readonly reconnects: number } | null
  readonly pool?: (() => { total: number; idle: number; waiting: number }) | null
  /** SQLite: the longest call since the previous scrape (ms); it starts over. */
  readonly storageCallMs?: (() => number) | null
  readonly live?: { readonly size: number; readonly queuedBytes: number; readonly dropped: number }
  readonly webhooks?: { dropped(): number; readonly attempts: { readonly delivered: number; readonly retrying: number; readonly failed: number } }
  readonly alerts?: { readonly raised: Readonly<Record<string, number>>; readonly dropped: number }
}

/**
 * Verity's Prometheus metrics. The hot path only increments: auth outcomes live in one
 * pre-allocated array per app (one Map lookup per request), latency in a fixed-bucket histogram.
 * Everything else is read from its owner when /metrics is scraped.
 */
export class VerityMetrics {
  readonly #byApp = new Map<string, Float64Array>()
  readonly #unknownApp = new Float64Array(SLOTS)
  readonly #authLatency = new Histogram(LATENCY_BUCKETS)
  readonly #responses = new Map<number, number>()
  readonly #dbErrors = new Float64Array(DATABASE_ERROR_SOURCES.length)
  readonly #startedAt = Date.now() / 1000
  readonly #loopDelay: IntervalHistogram
  #sources: MetricSources | null = null

  constructor() {
    this.#loopDelay = startLoopDelay()
  }

  /** Connects the scrape-time sources, once they exist. */
  attach(sources: MetricSources): void {
    this.#sources = sources
  }

  stop(): void {
    this.#loopDelay.disable()
  }

  recordAuth(appId: string, platform: Platform, result: AuthResult): void {
    let row = this.#byApp.get(appId)
    if (row === undefined) {
      // Only apps this server knows get their own series: app ids come from the internet.
      if (result === 'app_not_found' || !this.#sources?.isKnownApp(appId)) row = this.#unknownApp
      else this.#byApp.set(appId, (row = new Float64Array(SLOTS)))
    }
    row[PLATFORM_INDEX[platform] * AUTH_RESULTS.length + RESULT_INDEX[result]]!++
  }

  /** Every answered request (not streams); from the request handler. */
  observeRequest(path: string, status: number, ms: number): void {
    this.#responses.set(status, (this.#responses.get(status) ?? 0) + 1)
    if (path === AUTH_PATH) this.#authLatency.observe(ms / 1000)
  }

  databaseError(source: DatabaseErrorSource): void {
    this.#dbErrors[DATABASE_ERROR_SOURCES.indexOf(source)]!++
  }

  /** The count for one app, platform and result (tests). */
  authCount(appId: string, platform: Platform, result: AuthResult): number {
    const row = this.#byApp.get(appId) ?? this.#unknownApp
    return row[PLATFORM_INDEX[platform] * AUTH_RESULTS.length + RESULT_INDEX[result]]!
  }

  render(): string {
    const out = new ExpositionWriter()
    const s = this.#sources

    out.family('verity_auth_requests_total', 'counter', 'POST /v1/messenger/auth outcomes by app, platform and result (app_id="unknown" for ids this server does not know).')
    const writeRow = (appId: string, row: Float64Array) => {
      for (let p = 0; p < PLATFORMS.length; p++) {
        for (let r = 0; r < AUTH_RESULTS.length; r++) {
          const value = row[p * AUTH_RESULTS.length + r]!
          if (value > 0) out.sample('verity_auth_requests_total', value, { app_id: appId, platform: PLATFORMS[p]!, result: AUTH_RESULTS[r]! })
        }
      }
    }
    for (const [appId, row] of this.#byApp) writeRow(appId, row)
    writeRow(UNKNOWN_APP, this.#unknownApp)

    out.family('verity_auth_request_duration_seconds', 'histogram', 'Time to answer POST /v1/messenger/auth, from the first byte read to the reply written.')
    this.#authLatency.write(out, 'verity_auth_request_duration_seconds')

    out.family('verity_http_responses_total', 'counter', 'HTTP responses by status code (Server-Sent Event streams excluded).')
    for (const [code, value] of [...this.#responses].sort((a, b) => a[0] - b[0])) out.sample('verity_http_responses_total', value, { code: String(code) })

    out.family('verity_database_errors_total', 'counter', 'Database operations that failed because storage could not serve, by where they happened.')
    DATABASE_ERROR_SOURCES.forEach((source, i) => out.sample('verity_database_errors_total', this.#dbErrors[i]!, { source }))

    if (s) {
      out.family('verity_ready', 'gauge', '1 when /readyz answers 200.')
      out.sample('verity_ready', s.ready() ? 1 : 0)
      out.family('verity_config_age_seconds', 'gauge', 'Seconds since the in-memory configuration was last confirmed against the database.')
      out.sample('verity_config_age_seconds', Math.max(0, s.config.ageMs()) / 1000)
      out.family('verity_config_max_age_seconds', 'gauge', 'Past this age auth fails closed with 503 unavailable.')
      out.sample('verity_config_max_age_seconds', s.config.maxAgeMs / 1000)
      out.family('verity_config_revision', 'gauge', 'The configuration revision this instance serves.')
      out.sample('verity_config_revision', s.config.revision)
      out.family('verity_config_refresh_failures_total', 'counter', 'Configuration refreshes that failed.')
      out.sample('verity_config_refresh_failures_total', s.config.refreshFailures)
      out.family('verity_auth_statistics_buffered', 'gauge', 'Auth statistics held in memory, waiting to be written (bounded).')
      out.sample('verity_auth_statistics_buffered', s.statistics.pending)
      out.family('verity_auth_statistics_dropped_total', 'counter', 'Auth statistics dropped because the buffer was full while the database could not be written.')
      out.sample('verity_auth_statistics_dropped_total', s.statistics.dropped)
      if (s.listener) {
        out.family('verity_config_listener_connected', 'gauge', '1 while the PostgreSQL LISTEN connection is up.')
        out.sample('verity_config_listener_connected', s.listener.connected ? 1 : 0)
        out.family('verity_config_listener_reconnects_total', 'counter', 'Times the LISTEN connection was made again after it dropped.')
        out.sample('verity_config_listener_reconnects_total', s.listener.reconnects)
      }
      const pool = s.pool?.()
      if (pool) {
        out.family('verity_db_pool_connections', 'gauge', 'PostgreSQL pool connections: open (total), idle, and requests waiting for one.')
        out.sample('verity_db_pool_connections', pool.total, { state: 'total' })
        out.sample('verity_db_pool_connections', pool.idle, { state: 'idle' })
        out.sample('verity_db_pool_connections', pool.waiting, { state: 'waiting' })
      }
      if (s.storageCallMs) {
        out.family('verity_storage_call_max_seconds', 'gauge', 'SQLite: the longest storage call since the previous scrape. SQLite answers on the event loop, so this is how long storage alone held it.')
        out.sample('verity_storage_call_max_seconds', s.storageCallMs() / 1000)
      }
      if (s.live) {
        out.family('verity_live_streams', 'gauge', 'Open live event streams (GET /v1/messenger/events), including those closing.')
        out.sample('verity_live_streams', s.live.size)
        out.family('verity_live_stream_queued_bytes', 'gauge', 'Bytes queued for all live streams, waiting for their clients to read (each stream at most 256 KiB).')
        out.sample('verity_live_stream_queued_bytes', s.live.queuedBytes)
        out.family('verity_live_streams_dropped_total', 'counter', 'Live streams disconnected because their client fell 256 KiB behind.')
        out.sample('verity_live_streams_dropped_total', s.live.dropped)
      }
      if (s.webhooks) {
        out.family('verity_webhook_deliveries_dropped_total', 'counter', 'Pending webhook deliveries dropped (oldest first) because their webhook already had 10,000 waiting.')
        out.sample('verity_webhook_deliveries_dropped_total', s.webhooks.dropped())
        out.family('verity_webhook_attempts_total', 'counter', 'Webhook delivery attempts by this process: delivered, failed and to be retried, failed for good (the retry period is over).')
        for (const [result, n] of Object.entries(s.webhooks.attempts)) out.sample('verity_webhook_attempts_total', n, { result })
      }
      if (s.alerts) {
        out.family('verity_alerts_total', 'counter', 'Alerts this process stored, by type (verification.failure_spike, secret.exposed).')
        for (const [type, n] of Object.entries(s.alerts.raised)) out.sample('verity_alerts_total', n, { type })
        out.family('verity_alerts_dropped_total', 'counter', 'Alerts dropped because 1,000 were already waiting for the database.')
        out.sample('verity_alerts_dropped_total', s.alerts.dropped)
      }
    }

    out.family('verity_event_loop_delay_seconds', 'gauge', 'How late the event loop was since the previous scrape: p50, p99 and max.')
    out.sample('verity_event_loop_delay_seconds', lateSeconds(this.#loopDelay.percentile(50)), { quantile: '0.5' })
    out.sample('verity_event_loop_delay_seconds', lateSeconds(this.#loopDelay.percentile(99)), { quantile: '0.99' })
    out.sample('verity_event_loop_delay_seconds', lateSeconds(this.#loopDelay.max), { quantile: '1' })
    this.#loopDelay.reset()

    const memory = process.memoryUsage()
    out.family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.')
    out.sample('process_resident_memory_bytes', memory.rss)
    out.family('nodejs_heap_used_bytes', 'gauge', 'V8 heap in use, in bytes.')
    out.sample('nodejs_heap_used_bytes', memory.heapUsed)
    out.family('process_start_time_seconds', 'gauge', 'Start time of the process since the Unix epoch, in seconds.')
    out.sample('process_start_time_seconds', Math.floor(this.#startedAt))
    return out.toString()
  }
}
