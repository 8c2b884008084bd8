import type { Logger } from 'pino'
import { SIGN_OUT_KEPT_MS } from '../config-cache/config-cache.js'
import type { RetentionRepository } from '../storage/retention-prune.js'

const DAY_MS = 86_400_000
/** How often the background pass runs; the first runs soon after start. */
export const RETENTION_INTERVAL_MS = 10 * 60_000

export interface RetentionOptions {
  readonly repository: RetentionRepository
  readonly logger: Logger
  /** VERITY_RETENTION_DAYS: failures and statistics older than this go (statistics by whole UTC days). */
  readonly retentionDays: number
  readonly intervalMs?: number
  /** Rows per statement; the repository's rowsPerStatement by default. */
  readonly batch?: number
  readonly now?: () => number
}

export interface RetentionPass {
  failures: number
  statistics: number
  sign_outs: number
  /** Statements run: a pass is many small ones, never one long one. */
  batches: number
}

/** A pause between two batches, long enough for waiting requests (and other writers) to run. */
const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5))

/**
 * Retention, in the background: a timer (never a request) deletes failures and statistics older
 * than VERITY_RETENTION_DAYS, and sign-outs no token can outlive, a bounded batch at a time with a
 * pause between batches. Conversations stay until erased. Every instance may run it: deleting what
 * another instance deleted already deletes nothing.
 */
export class RetentionPruner {
  readonly #options: RetentionOptions
  #timer: NodeJS.Timeout | null = null
  #running: Promise<RetentionPass> | null = null
  #stopped = false

  constructor(options: RetentionOptions) {
    this.#options = options
  }

  start(): void {
    this.#stopped = false
    const every = this.#options.intervalMs ?? RETENTION_INTERVAL_MS
    const tick = (): void => {
      void this.runOnce().catch((error: unknown) => this.#options.logger.warn({ err: error }, 'retention pass failed; it runs again later'))
    }
    // The first pass soon after start, not at once: start-up has enough to do.
    this.#timer = setTimeout(() => {
      tick()
      if (this.#stopped) return
      this.#timer = setInterval(tick, every)
      this.#timer.unref()
    }, Math.min(every, 60_000))
    this.#timer.unref()
  }

  /** Stops the timer and waits for a pass under way, which ends after its current batch. */
  async stop(): Promise<void> {
    this.#stopped = true
    // clearTimeout ends a timeout or an interval alike.
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    await this.#running?.catch(() => {})
  }

  /** One pass over every kind of expiring row; passes never overlap. */
  runOnce(): Promise<RetentionPass> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = null
    })
    return this.#running
  }

  async #pass(): Promise<RetentionPass> {
    const { repository, retentionDays, logger } = this.#options
    const batch = this.#options.batch ?? repository.rowsPerStatement
    const now = this.#options.now?.() ?? Date.now()
    const cutoff = new Date(now - retentionDays * DAY_MS).toISOString()
    // Statistics go by whole UTC days, as the rollout counts them: the start of the cutoff's day.
    const statisticsDay = cutoff.slice(0, 10)
    const statisticsCutoff = `${statisticsDay}T00:00:00.000Z`
    const signOutCutoff = new Date(now - SIGN_OUT_KEPT_MS).toISOString()
    const pass: RetentionPass = { failures: 0, statistics: 0, sign_outs: 0, batches: 0 }
    const drain = async (kind: 'failures' | 'statistics' | 'sign_outs' | null, prune: () => Promise<number>): Promise<void> => {
      for (;;) {
        if (this.#stopped) return
        const deleted = await prune()
        pass.batches++
        if (kind !== null) pass[kind] += deleted
        if (deleted < batch) return
        await pause()
      }
    }
    await drain('failures', () => repository.failures(cutoff, batch))
    // Old proofs, then old users, then the aggregate rows of their days: the rollout's counts and
    // the users' rows agree again at the end of the pass.
    await drain(null, () => repository.oldProofs(statisticsCutoff, batch))
    await drain('statistics', () => repository.statistics(statisticsCutoff, batch))
    await drain(null, () => repository.counts(statisticsDay, batch))
    await drain('sign_outs', () => repository.signOuts(signOutCutoff, batch))
    if (pass.failures + pass.statistics + pass.sign_outs > 0) logger.info({ ...pass, retentionDays }, 'retention: old rows deleted')
    return pass
  }
}
