import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Logger } from 'pino'
import { newId } from '../crypto/random-ids.js'
import type { Diagnosis } from '../verification/diagnosis.js'
import { identityKey, type ClaimedIdentity } from '../verification/identity.js'
import type { Database } from '../storage/schema.js'
import type { AuthAttemptEvent, AuthEventSink, AuthFailureEvent } from './auth-events.js'

/** Kept per app in the failure log; older failures are pruned. */
export const FAILURES_KEPT_PER_APP = 1000
const MAX_PENDING_ATTEMPTS = 200_000
const MAX_PENDING_FAILURES = 10_000

export function userKey(identity: ClaimedIdentity): string {
  return createHash('sha256').update(identityKey(identity), 'utf8').digest('base64url').slice(0, 22)
}

interface PendingAttributes {
  readonly appId: string
  readonly identity: ClaimedIdentity
  readonly attributes: Readonly<Record<string, unknown>>
  readonly at: number
}

export interface AuthEventBufferDeps {
  readonly db: Kysely<Database>
  readonly logger: Logger
  /** Names the mistake behind a failure; runs at flush time, off the request path, within its budget. */
  readonly diagnose: (failure: AuthFailureEvent) => Diagnosis
  readonly onSignedAttributes?: (appId: string, identity: ClaimedIdentity, attributes: Readonly<Record<string, unknown>>, at: number) => Promise<void>
  /** A periodic flush failed (metrics count database errors). */
  readonly onFlushError?: (error: unknown) => void
  /** Bounds of the buffer while storage is down; defaults 200 000 users and 10 000 failures. */
  readonly maxPendingAttempts?: number
  readonly maxPendingFailures?: number
}

/**
 * Aggregates what the hot path learns in memory and writes it in batches (every second by
 * default): the latest attempt per user, secrets' last use, failures with their diagnosis.
 * A crash loses at most the last interval of counts. While storage is down the buffer is bounded
 * and what it drops is counted.
 */
export class AuthEventBuffer implements AuthEventSink {
  readonly #deps: AuthEventBufferDeps
  #attempts = new Map<string, AuthAttemptEvent & { userKey: string }>()
  #secretsUsed = new Map<string, number>()
  #failures: AuthFailureEvent[] = []
  #attributes: PendingAttributes[] = []
  #dropped = 0
  #timer: NodeJS.Timeout | null = null
  #flushing: Promise<void> = Promise.resolve()
  #flushes = 0

  readonly #maxAttempts: number
  readonly #maxFailures: number

  constructor(deps: AuthEventBufferDeps) {
    this.#deps = deps
    this.#maxAttempts = deps.maxPendingAttempts ?? MAX_PENDING_ATTEMPTS
    this.#maxFailures = deps.maxPendingFailures ?? MAX_PENDING_FAILURES
  }

  get dropped(): number {
    return this.#dropped
  }

  get pending(): number {
    return this.#attempts.size + this.#failures.length + this.#secretsUsed.size
  }

  attempt(event: AuthAttemptEvent): void {
    const key = userKey(event.identity)
    const mapKey = `${event.appId}\u0000${event.platform}\u0000${key}`
    if (!this.#attempts.has(mapKey) && this.#attempts.size >= this.#maxAttempts) {
      this.#dropped++
      return
    }
    this.#attempts.set(mapKey, { ...event, userKey: key })
    if (event.secretId) this.#secretsUsed.set(event.secretId, event.at)
  }

  failure(event: AuthFailureEvent): void {
    if (this.#failures.length >= this.#maxFailures) {
      this.#dropped++
      return
    }
    this.#failures.push(event)
  }

  signedAttributes(appId: string, identity: ClaimedIdentity, attributes: Readonly<Record<string, unknown>>, at: number): void {
    if (this.#attributes.length >= this.#maxFailures) {
      this.#dropped++
      return
    }
    this.#attributes.push({ appId, identity, attributes, at })
  }

  start(intervalMs = 1000): void {
    this.#timer = setInterval(() => {
      this.flush().catch((error: unknown) => {
        this.#deps.onFlushError?.(error)
        this.#deps.logger.error({ err: error, pending: this.pending, dropped: this.#dropped }, 'writing auth statistics failed; will retry')
      })
    }, intervalMs)
    this.#timer.unref()
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await this.flush()
  }

  /** Writes everything buffered so far; flushes run one at a time. */
  flush(): Promise<void> {
    const run = this.#flushing.then(() => this.#flush())
    this.#flushing = run.catch(() => {})
    return run
  }

  async #flush(): Promise<void> {
    const attempts = this.#attempts
    const secretsUsed = this.#secretsUsed
    const failures = this.#failures
    const attributes = this.#attributes
    if (attempts.size + secretsUsed.size + failures.length + attributes.length === 0) return
    this.#attempts = new Map()
    this.#secretsUsed = new Map()
    this.#failures = []
    this.#attributes = []
    const diagnosed = failures.map((f) => ({ failure: f, diagnosis: this.#diagnoseSafely(f) }))
    try {
      await this.#deps.db.transaction().execute(async (trx) => {
        for (const a of attempts.values()) {
          const lastAt = new Date(a.at).toISOString()
          await trx
            .insertInto('user_attempts')
            .values({ app_id: a.appId, platform: a.platform, user_key: a.userKey, last_at: lastAt, outcome: a.outcome, app_version: a.appVersion, sdk_version: a.sdkVersion, secret_id: a.secretId })
            .onConflict((oc) =>
              oc.columns(['app_id', 'platform', 'user_key']).doUpdateSet((eb) => ({
                last_at: eb.ref('excluded.last_at'),
                outcome: eb.ref('excluded.outcome'),
                app_version: eb.ref('excluded.app_version'),
                sdk_version: eb.ref('excluded.sdk_version'),
                secret_id: eb.ref('excluded.secret_id'),
              })).where('user_attempts.last_at', '<=', eb => eb.ref('excluded.last_at')),
            )
            .execute()
        }
        for (const [secretId, at] of secretsUsed) {
          const iso = new Date(at).toISOString()
          await trx
            .updateTable('secrets')
            .set({ last_used_at: iso })
            .where('id', '=', secretId)
            .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', iso)]))
            .execute()
        }
        for (const { failure: f, diagnosis } of diagnosed) {
          await trx
            .insertInto('failures')
            .values({
              id: newId('fail', f.at),
              app_id: f.appId,
              platform: f.platform,
              at: new Date(f.at).toISOString(),
              user_id: f.identity.userId,
              email: f.identity.email,
              app_version: f.appVersion,
              refused: f.refused ? 1 : 0,
              code: f.code,
              diagnosis,
            })
            .execute()
        }
      })
    } catch (error) {
      this.#requeue(attempts, secretsUsed, failures, attributes)
      throw error
    }
    for (const a of attributes) {
      await this.#deps.onSignedAttributes?.(a.appId, a.identity, a.attributes, a.at)
    }
    if (++this.#flushes % 60 === 0 || failures.length > 100) await this.#pruneFailures(new Set(failures.map((f) => f.appId)))
  }

  #diagnoseSafely(failure: AuthFailureEvent): Diagnosis {
    try {
      return this.#deps.diagnose(failure)
    } catch (error) {
      this.#deps.logger.error({ err: error }, 'diagnosis failed')
      return 'unknown'
    }
  }

  /** Puts a failed batch back (newer events win), within the same bounds as live buffering. */
  #requeue(
    attempts: Map<string, AuthAttemptEvent & { userKey: string }>,
    secretsUsed: Map<string, number>,
    failures: AuthFailureEvent[],
    attributes: PendingAttributes[],
  ): void {
    for (const [key, value] of attempts) {
      if (this.#attempts.has(key)) continue
      if (this.#attempts.size >= this.#maxAttempts) this.#dropped++
      else this.#attempts.set(key, value)
    }
    for (const [id, at] of secretsUsed) if (!this.#secretsUsed.has(id)) this.#secretsUsed.set(id, at)
    for (const f of failures) {
      if (this.#failures.length >= this.#maxFailures) this.#dropped++
      else this.#failures.push(f)
    }
    const room = Math.max(0, this.#maxFailures - this.#attributes.length)
    this.#dropped += Math.max(0, attributes.length - room)
    this.#attributes.push(...attributes.slice(0, room))
  }

  async #pruneFailures(appIds: Set<string>): Promise<void> {
    for (const appId of appIds) {
      const cutoff = await this.#deps.db
        .selectFrom('failures')
        .select('id')
        .where('app_id', '=', appId)
        .orderBy('id', 'desc')
        .offset(FAILURES_KEPT_PER_APP)
        .limit(1)
        .executeTakeFirst()
      if (cutoff) await this.#deps.db.deleteFrom('failures').where('app_id', '=', appId).where('id', '<=', cutoff.id).execute()
    }
  }
}
