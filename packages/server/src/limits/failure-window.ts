import { SpillBuckets } from './spill-buckets.js'

/**
 * The failure limit of one process, exact: per key (identifier, app and platform), a refusal is
 * counted while fewer than `limit` refusals were counted within the last window (sliding);
 * otherwise the attempt waits until the oldest of them is a window old. Counting and checking are
 * one step, so concurrent attempts can never both take the last place.
 *
 * Memory is bounded without ever forgetting a key that still counts. A stranger chooses the keys
 * (any user id), so forgetting would let a guesser flood the table with made-up ids until the
 * victim's count is gone, and guess again. Instead:
 *  - a key is dropped only once all its refusals have left the window (a sweep, a few keys per call);
 *  - at most `maxKeys` keys are counted exactly; a new key that finds the table full of keys that
 *    still count is counted in shared buckets (spill-buckets.ts), which may count more than the
 *    key's own refusals but never fewer. A key's count is its exact count plus, while it may
 *    have spilled refusals in the window, its bucket's.
 * Memory is then at most `maxKeys` keys of at most `limit` timestamps each, plus the buckets.
 */
export class FailureWindow {
  readonly #limit: number
  readonly #windowMs: number
  readonly #maxKeys: number
  readonly #spillBuckets: number
  readonly #keys = new Map<string, Counted>()
  #spill: SpillBuckets | null = null
  #lastSpillAt = -Infinity
  #sweep: IterableIterator<[string, Counted]> | null = null
  #nextSweepAt = -Infinity
  /** After a search for room found none, the next waits a little (a flood would search on every key). */
  #nextRoomSearchAt = -Infinity

  constructor(options: { limit: number; windowMs?: number; maxKeys?: number; spillBuckets?: number }) {
    this.#limit = options.limit
    this.#windowMs = options.windowMs ?? 60_000
    this.#maxKeys = options.maxKeys ?? 100_000
    this.#spillBuckets = options.spillBuckets ?? 4096
  }

  /**
   * Counts a refusal of `key` at `now` unless the key already has `limit` in the window: 0 when it
   * was counted (the attempt is refused: 401), else the seconds to wait (429).
   */
  refuse(key: string, now: number): number {
    this.#sweepSome(now, 8)
    let counted = this.#keys.get(key)
    if (counted) {
      const { times } = counted
      let stale = 0
      while (stale < times.length && now - times[stale]! >= this.#windowMs) stale++
      if (stale > 0) times.splice(0, stale)
      if (times.length === 0 && now >= counted.spillUntil) {
        this.#keys.delete(key)
        counted = undefined
      }
    }
    const spilled = this.#spill && (!counted || now < counted.spillUntil) ? this.#spill.entries(key, now) : []
    let count = counted?.times.length ?? 0
    for (const [, n] of spilled) count += n
    if (count >= this.#limit) return this.#retryAfter(counted?.times ?? [], spilled, count, now)

    if (counted) {
      // Usually the newest; a clock that stepped back must not unsort the list.
      const { times } = counted
      let at = times.length
      while (at > 0 && times[at - 1]! > now) at--
      times.splice(at, 0, now)
    } else if (this.#keys.size < this.#maxKeys || this.#makeRoom(now)) {
      // Refusals this key may have spilled before it found room leave the window by spillUntil.
      const spillUntil = now - this.#lastSpillAt < this.#windowMs + 1_000 ? now + this.#windowMs + 1_000 : -Infinity
      this.#keys.set(key, { times: [now], spillUntil })
    } else {
      ;(this.#spill ??= new SpillBuckets({ windowMs: this.#windowMs, buckets: this.#spillBuckets })).add(key, now)
      this.#lastSpillAt = now
    }
    return 0
  }

  /** Keys counted exactly. */
  get size(): number {
    return this.#keys.size
  }

  /** Seconds until enough of the oldest refusals have left the window for the count to fall below the limit. */
  #retryAfter(times: readonly number[], spilled: ReadonlyArray<[number, number]>, count: number, now: number): number {
    const all: Array<[number, number]> = times.map((t) => [t, 1])
    all.push(...spilled)
    all.sort((a, b) => a[0] - b[0])
    let leave = count - this.#limit + 1
    for (const [at, n] of all) {
      leave -= n
      if (leave <= 0) return Math.max(1, Math.ceil((at + this.#windowMs - now) / 1000))
    }
    return 1
  }

  /** Drops keys whose refusals have all left the window, `budget` keys at a time, a pass per window. */
  #sweepSome(now: number, budget: number): void {
    if (this.#sweep === null) {
      if (now < this.#nextSweepAt) return
      this.#sweep = this.#keys.entries()
      this.#nextSweepAt = now + this.#windowMs
    }
    for (let i = 0; i < budget; i++) {
      const next = this.#sweep.next()
      if (next.done) {
        this.#sweep = null
        return
      }
      const [key, { times, spillUntil }] = next.value
      const newest = times.length === 0 ? -Infinity : times[times.length - 1]!
      if (now - newest >= this.#windowMs && now >= spillUntil) this.#keys.delete(key)
    }
  }

  /** The table is full: look further for keys that no longer count (never a key that does). */
  #makeRoom(now: number): boolean {
    if (now < this.#nextRoomSearchAt) return false
    if (this.#sweep === null) this.#sweep = this.#keys.entries()
    this.#sweepSome(now, 64)
    if (this.#keys.size < this.#maxKeys) return true
    this.#nextRoomSearchAt = now + 100
    return false
  }
}

interface Counted {
  /** Times of the key's refusals in the window, oldest first (at most `limit`). */
  readonly times: number[]
  /** Until when the key may have refusals counted in the buckets (from before it had a place here). */
  readonly spillUntil: number
}
