/**
 * Per identifier, app and platform: after `limit` refusals within a sliding minute, every further
 * attempt is refused with 429 (even with a valid proof) until the oldest of those refusals is a
 * minute old. Other identifiers, and the same one on other platforms, are never affected.
 *
 * Memory is bounded: each key keeps at most `limit` timestamps, stale keys are swept, and when
 * `maxKeys` is reached the oldest keys go first.
 */
export class FailureLimiter {
  readonly #limit: number
  readonly #windowMs: number
  readonly #maxKeys: number
  readonly #refusals = new Map<string, number[]>()
  /**
   * Keys whose refusals have all left the window limit nothing: a pass over the map, a few keys
   * per call, drops them once a window, so memory comes back after a flood without a stall.
   */
  #nextSweepAt = -Infinity
  #sweep: IterableIterator<[string, number[]]> | null = null

  constructor(options: { limit: number; windowMs?: number; maxKeys?: number }) {
    this.#limit = options.limit
    this.#windowMs = options.windowMs ?? 60_000
    this.#maxKeys = options.maxKeys ?? 200_000
  }

  /** Seconds to wait, or 0 when the identifier may try. */
  retryAfterSeconds(key: string, now: number): number {
    this.#sweepSome(now)
    const times = this.#refusals.get(key)
    if (!times) return 0
    const recent = times.filter((t) => now - t < this.#windowMs)
    if (recent.length !== times.length) {
      if (recent.length === 0) this.#refusals.delete(key)
      else this.#refusals.set(key, recent)
    }
    if (recent.length < this.#limit) return 0
    return Math.max(1, Math.ceil((recent[0]! + this.#windowMs - now) / 1000))
  }

  recordRefusal(key: string, now: number): void {
    this.#sweepSome(now)
    let times = this.#refusals.get(key)
    if (!times) {
      if (this.#refusals.size >= this.#maxKeys) this.#evict(now)
      times = []
      this.#refusals.set(key, times)
    }
    times.push(now)
    if (times.length > this.#limit) times.shift()
  }

  get size(): number {
    return this.#refusals.size
  }

  #sweepSome(now: number, budget = 32): void {
    if (this.#sweep === null) {
      if (now < this.#nextSweepAt) return
      this.#sweep = this.#refusals.entries()
      this.#nextSweepAt = now + this.#windowMs
    }
    for (let i = 0; i < budget; i++) {
      const next = this.#sweep.next()
      if (next.done) {
        this.#sweep = null
        return
      }
      const [key, times] = next.value
      if (now - times[times.length - 1]! >= this.#windowMs) this.#refusals.delete(key)
    }
  }

  #evict(now: number): void {
    for (const [key, times] of this.#refusals) {
      if (now - times[times.length - 1]! >= this.#windowMs) this.#refusals.delete(key)
    }
    // Still full: drop the oldest-inserted keys, a tenth at a time.
    if (this.#refusals.size >= this.#maxKeys) {
      let drop = Math.ceil(this.#maxKeys / 10)
      for (const key of this.#refusals.keys()) {
        this.#refusals.delete(key)
        if (--drop === 0) break
      }
    }
  }
}

export function failureLimitKey(appId: string, platform: string, identityKey: string): string {
  return `${appId}\u0000${platform}\u0000${identityKey}`
}
