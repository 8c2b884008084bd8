import type { Logger } from 'pino'
import { idFloor } from '../crypto/random-ids.js'

/** A table whose ids carry their creation time (crypto/random-ids.ts), read by id. */
export interface RowFeedSource<T> {
  idsAfter(afterId: string, limit: number): Promise<string[]>
  /** The rows with these ids, oldest first. */
  withIds(ids: readonly string[]): Promise<T[]>
}

export type FeedListener<T> = (item: T) => void

export interface RowFeedOptions<T> {
  readonly source: RowFeedSource<T>
  /** The ids' prefix (`msg`, `fail`, `alrt`): where a time's first id lies. */
  readonly prefix: string
  readonly idOf: (item: T) => string
  /** Named in the log when storage cannot be read. */
  readonly name: string
  readonly logger: Logger
  readonly intervalMs?: number
  /**
   * How far back each poll looks. Ids carry their creation time, but a row can commit after
   * a newer one (a slow transaction, another process, a clock a little behind), so "greater than
   * the last id seen" alone would skip it; re-reading a short window of ids, and remembering which
   * were delivered, does not. Processes' clocks must agree within this window (NTP does).
   */
  readonly lookbackMs?: number
  /**
   * Runs after new rows are read and before they are delivered: brings the configuration up
   * to date, so a token revoked (on any instance) before a row was written never receives it.
   */
  readonly beforeDelivery?: () => Promise<void>
  readonly now?: () => number
}

const ID_PAGE = 2000
const FETCH_BATCH = 500

/**
 * New rows of a table (messages, failures, alerts), as one poll loop per process shared by all
 * live streams, plus the rows this process writes (published at once, so local readers need not
 * wait for the poll). Each row is delivered once; listeners decide who may see it. The loop runs
 * only while someone listens.
 */
export class RowFeed<T> {
  readonly #source: RowFeedSource<T>
  readonly #idOf: (item: T) => string
  readonly #floor: (ms: number) => string
  readonly #name: string
  readonly #logger: Logger
  readonly #intervalMs: number
  readonly #lookbackMs: number
  readonly #now: () => number
  readonly #beforeDelivery: (() => Promise<void>) | undefined
  readonly #listeners = new Set<FeedListener<T>>()
  /** Ids delivered (or deliberately skipped) within the lookback window. */
  readonly #seen = new Set<string>()
  /** Rows made before the loop started are history, not news: Last-Event-ID replays them. */
  #startFloor = ''
  #timer: NodeJS.Timeout | null = null
  #generation = 0
  #polling: Promise<void> | null = null
  #failing = false
  #wakePending = false

  constructor(options: RowFeedOptions<T>) {
    this.#source = options.source
    this.#idOf = options.idOf
    this.#floor = (ms) => idFloor(options.prefix, ms)
    this.#name = options.name
    this.#logger = options.logger
    this.#intervalMs = options.intervalMs ?? 500
    this.#lookbackMs = options.lookbackMs ?? 5_000
    this.#now = options.now ?? Date.now
    this.#beforeDelivery = options.beforeDelivery
  }

  /** How far back each poll looks; a resume point this far back cannot skip a late commit. */
  get lookbackMs(): number {
    return this.#lookbackMs
  }

  get listenerCount(): number {
    return this.#listeners.size
  }

  subscribe(listener: FeedListener<T>): () => void {
    this.#listeners.add(listener)
    if (this.#listeners.size === 1) this.#start()
    return () => {
      this.#listeners.delete(listener)
      if (this.#listeners.size === 0) this.stop()
    }
  }

  /** A row this process has just committed. */
  publish(item: T): void {
    const id = this.#idOf(item)
    if (this.#timer === null || this.#seen.has(id)) return
    this.#seen.add(id)
    this.#dispatch(item)
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    this.#seen.clear()
  }

  /**
   * Another process wrote a row (PostgreSQL NOTIFY): poll now rather than at the next tick.
   * A poll already running may have read before that commit, so it is followed by one more.
   */
  wake(): void {
    if (this.#listeners.size === 0 || this.#wakePending) return
    this.#wakePending = true
    void this.poll()
      .then(() => {
        this.#wakePending = false
        return this.poll()
      })
      .catch(() => {})
  }

  /** One poll; exposed so tests can drive the feed without waiting. */
  poll(): Promise<void> {
    return (this.#polling ??= this.#poll().finally(() => (this.#polling = null)))
  }

  #start(): void {
    this.#startFloor = this.#floor(this.#now())
    this.#schedule(++this.#generation)
  }

  /** A stop and a restart while a poll is in flight must not leave two loops running. */
  #schedule(generation: number): void {
    this.#timer = setTimeout(() => {
      void this.poll().finally(() => {
        if (this.#timer !== null && generation === this.#generation) this.#schedule(generation)
      })
    }, this.#intervalMs)
    this.#timer.unref()
  }

  async #poll(): Promise<void> {
    const floor = this.#floor(this.#now() - this.#lookbackMs)
    try {
      const fresh: string[] = []
      let after = floor
      for (;;) {
        const ids = await this.#source.idsAfter(after, ID_PAGE)
        for (const id of ids) {
          if (this.#seen.has(id)) continue
          if (id < this.#startFloor) this.#seen.add(id)
          else fresh.push(id)
        }
        if (ids.length < ID_PAGE) break
        after = ids[ids.length - 1]!
      }
      // Marked as seen only once delivered: a failed read leaves them for the next poll.
      if (fresh.length > 0) await this.#beforeDelivery?.()
      for (let i = 0; i < fresh.length; i += FETCH_BATCH) {
        for (const item of await this.#source.withIds(fresh.slice(i, i + FETCH_BATCH))) {
          const id = this.#idOf(item)
          if (this.#seen.has(id)) continue
          this.#seen.add(id)
          this.#dispatch(item)
        }
      }
      if (this.#failing) this.#logger.info(`live ${this.#name} feed reads storage again`)
      this.#failing = false
    } catch (error) {
      // Logged once per outage, not every half second; the next poll's window covers the gap.
      if (!this.#failing) this.#logger.error({ err: error }, `live ${this.#name} feed cannot read storage; retrying`)
      this.#failing = true
      return
    }
    for (const id of this.#seen) if (id < floor) this.#seen.delete(id)
  }

  #dispatch(item: T): void {
    for (const listener of this.#listeners) {
      try {
        listener(item)
      } catch (error) {
        this.#logger.error({ err: error }, `a live stream failed to take a ${this.#name}`)
      }
    }
  }
}
