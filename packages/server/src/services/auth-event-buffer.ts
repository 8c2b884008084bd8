import type { Logger } from 'pino'
import { newId } from '../crypto/random-ids.js'
import type { Diagnosis } from '../diagnosis/diagnosis.js'
import { identityKey, type ClaimedIdentity } from '../verification/identity.js'
import { userDigest } from '../verification/user-digest.js'
import type { AttemptGroup, AttemptWrite, StatisticsRepository } from '../storage/statistics-repository.js'
import { isStorageRefusal } from '../storage/storage-errors.js'
import type { AuthAttemptEvent, AuthEventSink, AuthFailureEvent } from '../verification/auth-events.js'

/** Kept per app in the failure log; older failures are pruned. */
export const FAILURES_KEPT_PER_APP = 1000
const MAX_PENDING_ATTEMPTS = 200_000
const MAX_PENDING_FAILURES = 10_000
/**
 * Rows per statement when a flush writes: one statement per row cost tens of microseconds each
 * (query building, not SQLite), so a busy second's thousands of users stalled the event loop for
 * tens of milliseconds. 100 rows a statement keep each step near a millisecond, well within SQLite's
 * and PostgreSQL's parameter limits.
 */
const ROWS_PER_STATEMENT = 100

/** Lets waiting requests run between two statements of a flush, so that a large flush is no stall. */
const letRequestsRun = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

function chunks<T>(items: readonly T[], size = ROWS_PER_STATEMENT): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * Users' pending attempts in chunks of at most `size` (the repository's usersPerTransaction), each
 * written in one transaction: an app and platform's users stay together where they fit, and the
 * users of many small apps share a chunk.
 */
function attemptChunks(attempts: ReadonlyMap<string, PendingAttempt>, size: number): Array<Array<[string, PendingAttempt]>> {
  const groups = new Map<string, Array<[string, PendingAttempt]>>()
  for (const entry of attempts) {
    const group = `${entry[1].appId}\u0000${entry[1].platform}`
    let list = groups.get(group)
    if (list === undefined) groups.set(group, (list = []))
    list.push(entry)
  }
  const out: Array<Array<[string, PendingAttempt]>> = []
  let current: Array<[string, PendingAttempt]> = []
  for (const piece of [...groups.values()].flatMap((group) => chunks(group, size))) {
    if (current.length + piece.length > size) {
      out.push(current)
      current = []
    }
    current.push(...piece)
  }
  if (current.length > 0) out.push(current)
  return out
}

/** A chunk's users by app and platform, as the repository writes them. */
function attemptGroups(chunk: ReadonlyArray<[string, PendingAttempt]>): AttemptGroup[] {
  const groups = new Map<string, { appId: string; platform: string; rows: AttemptWrite[] }>()
  for (const [, a] of chunk) {
    const id = `${a.appId}\u0000${a.platform}`
    let group = groups.get(id)
    if (group === undefined) groups.set(id, (group = { appId: a.appId, platform: a.platform, rows: [] }))
    group.rows.push(attemptWrite(a))
  }
  return [...groups.values()]
}

const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString())

function attemptWrite(a: PendingAttempt): AttemptWrite {
  return {
    userKey: userKey(a.identity),
    state: {
      lastAt: new Date(a.at).toISOString(),
      outcome: a.outcome,
      appVersion: a.appVersion,
      sdkVersion: a.sdkVersion,
      secretId: a.secretId,
      provenAt: isoOrNull(a.provenAt),
      provenAppVersion: a.provenAppVersion,
      provenSecretId: a.provenSecretId,
    },
  }
}

/** The newest `keep` failures of each app, in order: the log keeps no more, so older ones need no diagnosis or write. */
function newestPerApp(failures: readonly AuthFailureEvent[], keep: number): AuthFailureEvent[] {
  const counts = new Map<string, number>()
  const kept: AuthFailureEvent[] = []
  for (let i = failures.length - 1; i >= 0; i--) {
    const f = failures[i]!
    const n = counts.get(f.appId) ?? 0
    if (n >= keep) continue
    counts.set(f.appId, n + 1)
    kept.push(f)
  }
  return kept.reverse()
}

function failureRow({ failure: f, diagnosis }: DiagnosedFailure) {
  return {
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
  }
}

/** A secret's last_used_at is written at most this often (its first use at once). */
export const LAST_USE_PRECISION_MS = 60_000

export const userKey: (identity: ClaimedIdentity) => string = userDigest

/**
 * The latest attempt of one user, and their latest valid proof, updated in place while the user
 * keeps coming back.
 */
interface PendingAttempt {
  readonly appId: string
  readonly platform: AuthAttemptEvent['platform']
  readonly identity: ClaimedIdentity
  at: number
  outcome: AuthAttemptEvent['outcome']
  secretId: string | null
  appVersion: string | null
  sdkVersion: string | null
  provenAt: number | null
  provenAppVersion: string | null
  provenSecretId: string | null
}

export interface DiagnosedFailure {
  readonly failure: AuthFailureEvent
  readonly diagnosis: Diagnosis
}

export interface AuthEventBufferDeps {
  readonly statistics: StatisticsRepository
  readonly logger: Logger
  /** Names the mistake behind a failure; runs at flush time, off the request path, within its budget. */
  readonly diagnose: (failure: AuthFailureEvent) => Diagnosis
  /**
   * Runs after every flush (also one with nothing to write), with the failures it diagnosed: the
   * alerts decide there, off the request path.
   */
  readonly onFlushed?: (diagnosed: readonly DiagnosedFailure[], now: number) => void
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
  #attempts = new Map<string, PendingAttempt>()
  #secretsUsed = new Map<string, number>()
  /**
   * When each secret's last use was last written. "Last used" answers "is this old secret still
   * in use?", which needs minutes, not seconds: writing it once a minute per secret instead of
   * every second spares SQLite a thousand row updates a second on a busy server with many apps.
   */
  readonly #lastUseWritten = new Map<string, number>()
  #failures: AuthFailureEvent[] = []
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
    // On the hot path: a returning user's entry is updated in place (no allocation that outlives
    // the request), and the digest for storage is computed at flush time, once per user.
    const mapKey = `${event.appId}\u0000${event.platform}\u0000${identityKey(event.identity)}`
    const pending = this.#attempts.get(mapKey)
    const proven = event.outcome === 'verified'
    if (pending !== undefined) {
      pending.at = event.at
      pending.outcome = event.outcome
      pending.secretId = event.secretId
      pending.appVersion = event.appVersion
      pending.sdkVersion = event.sdkVersion
      if (proven) {
        pending.provenAt = event.at
        pending.provenAppVersion = event.appVersion
        pending.provenSecretId = event.secretId
      }
    } else if (this.#attempts.size >= this.#maxAttempts) {
      this.#dropped++
      return
    } else {
      this.#attempts.set(mapKey, {
        appId: event.appId,
        platform: event.platform,
        identity: event.identity,
        at: event.at,
        outcome: event.outcome,
        secretId: event.secretId,
        appVersion: event.appVersion,
        sdkVersion: event.sdkVersion,
        provenAt: proven ? event.at : null,
        provenAppVersion: proven ? event.appVersion : null,
        provenSecretId: proven ? event.secretId : null,
      })
    }
    if (event.secretId) this.#secretsUsed.set(event.secretId, event.at)
  }

  failure(event: AuthFailureEvent): void {
    if (this.#failures.length >= this.#maxFailures) {
      this.#dropped++
      return
    }
    this.#failures.push(event)
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
    const secretsUsed = new Map<string, number>()
    for (const [id, at] of this.#secretsUsed) {
      if (at - (this.#lastUseWritten.get(id) ?? -Infinity) >= LAST_USE_PRECISION_MS) secretsUsed.set(id, at)
    }
    const failures = this.#failures
    if (attempts.size + secretsUsed.size + failures.length === 0) {
      this.#deps.onFlushed?.([], Date.now())
      return
    }
    this.#attempts = new Map()
    this.#secretsUsed = new Map()
    this.#failures = []
    const kept = newestPerApp(failures, FAILURES_KEPT_PER_APP)
    // Each chunk commits on its own: no transaction spans the flush. On SQLite a transaction
    // would hold the one connection across the pauses below, so every request that reads or writes
    // waited for the whole flush, and its single commit wrote every page the flush had touched in
    // one blocking step; both grew with the data (users' rows spread over more pages). One chunk
    // at a time (its users' rows and the aggregate rows they move between, in one short
    // transaction), a request waits for at most one chunk of users.
    const attemptParts = attemptChunks(attempts, this.#deps.statistics.usersPerTransaction)
    const usedParts = chunks([...secretsUsed])
    const failureParts = chunks(kept)
    const allDiagnosed: DiagnosedFailure[] = []
    const statistics = this.#deps.statistics
    let steps = 0
    const next = async (): Promise<void> => {
      if (steps++ > 0) await letRequestsRun()
    }
    let written = { attempts: 0, used: 0, failures: 0 }
    try {
      // One row per user: the map's keys are unique, so no statement updates a row twice.
      for (const part of attemptParts) {
        await next()
        await this.#refusable(part.length, () => this.#writeAttemptChunk(attemptGroups(part)))
        written = { ...written, attempts: written.attempts + 1 }
      }
      // Each secret's own time, in one statement per chunk: last_used_at = CASE id WHEN … END.
      for (const used of usedParts) {
        await next()
        await this.#refusable(used.length, () => statistics.recordSecretsUsed(used.map(([id, at]) => [id, new Date(at).toISOString()] as const)))
        for (const [id, at] of used) this.#lastUseWritten.set(id, at)
        written = { ...written, used: written.used + 1 }
      }
      // Diagnosed a chunk at a time too: within its budget, a diagnosis is still dozens of HMACs.
      for (const batch of failureParts) {
        await next()
        const diagnosed = batch.map((f) => ({ failure: f, diagnosis: this.#diagnoseSafely(f) }))
        if (await this.#refusable(batch.length, () => statistics.insertFailures(diagnosed.map(failureRow)))) allDiagnosed.push(...diagnosed)
        written = { ...written, failures: written.failures + 1 }
      }
    } catch (error) {
      // Only what was not written goes back: a failure written twice would be listed twice.
      this.#requeue(new Map(attemptParts.slice(written.attempts).flat()), new Map(usedParts.slice(written.used).flat()), failureParts.slice(written.failures).flat())
      throw error
    }
    // What was written, diagnosed: the alerts' spike rule reads it (alerts/).
    this.#deps.onFlushed?.(allDiagnosed, Date.now())
    if (++this.#flushes % 60 === 0 || failures.length > 100) {
      for (const appId of new Set(failures.map((f) => f.appId))) await statistics.pruneFailures(appId, FAILURES_KEPT_PER_APP)
    }
  }

  /**
   * A chunk's users in one transaction. Should the database refuse it, each app and platform's
   * users are written alone, so that rows it refuses cost only their own app and platform's chunk,
   * as when every chunk held one.
   */
  async #writeAttemptChunk(groups: readonly AttemptGroup[]): Promise<void> {
    const statistics = this.#deps.statistics
    try {
      await statistics.writeAttempts(groups)
    } catch (error) {
      if (!isStorageRefusal(error) || groups.length === 1) throw error
      for (const group of groups) await this.#refusable(group.rows.length, () => statistics.writeAttempts([group]))
    }
  }

  /**
   * Runs one chunk's write. Rows the database refuses would fail every second, forever, and hold
   * back everything buffered after them: that chunk alone is dropped, counted and logged, and the
   * flush goes on with the next. Other errors (storage away) propagate, and the rest is retried.
   */
  async #refusable(rows: number, write: () => Promise<void>): Promise<boolean> {
    try {
      await write()
      return true
    } catch (error) {
      if (!isStorageRefusal(error)) throw error
      this.#dropped += rows
      // Code and message only: PostgreSQL's detail quotes the failing row.
      const { code, message } = error as { code: string; message?: unknown }
      this.#deps.logger.error({ code, reason: String(message), dropped: rows }, 'the database refused a batch of auth statistics; dropped it')
      return false
    }
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
    attempts: Map<string, PendingAttempt>,
    secretsUsed: Map<string, number>,
    failures: AuthFailureEvent[],
  ): void {
    for (const [key, value] of attempts) {
      const newer = this.#attempts.get(key)
      if (newer !== undefined) {
        // The newer attempt wins, but a proof in the failed batch is kept if it has none.
        if (newer.provenAt === null && value.provenAt !== null) {
          newer.provenAt = value.provenAt
          newer.provenAppVersion = value.provenAppVersion
          newer.provenSecretId = value.provenSecretId
        }
        continue
      }
      if (this.#attempts.size >= this.#maxAttempts) this.#dropped++
      else this.#attempts.set(key, value)
    }
    for (const [id, at] of secretsUsed) if (!this.#secretsUsed.has(id)) this.#secretsUsed.set(id, at)
    for (const f of failures) {
      if (this.#failures.length >= this.#maxFailures) this.#dropped++
      else this.#failures.push(f)
    }
  }
}
