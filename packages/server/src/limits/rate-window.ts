/**
 * "At most `rate` a minute" per key, for the abuse limits (sessions per client address, writes per
 * messenger session, admin key guesses per address). A sliding window kept in a few slots per key
 * (a tenth of a window each, by default): a key is allowed while the slots that overlap the last
 * window hold fewer than `rate`. The window so counted reaches back up to one slot further than
 * a minute, so a key never gets more than `rate` within any minute, and waits at most one slot
 * longer than an exact log of timestamps would make it; memory stays a few numbers per key
 * whatever the rate.
 *
 * Memory is bounded: at `maxKeys` the least recently used key is forgotten. Forgetting gives that
 * key a fresh allowance, but only an attacker who already sends from more than `maxKeys` keys
 * within a minute can cause it, and such an attacker gets as much from those keys anyway. (The
 * failure limit, whose keys a stranger chooses, never forgets a key it counts: failure-window.ts.)
 */
export class RateWindow {
  readonly #rate: number
  readonly #windowMs: number
  readonly #slotMs: number
  /** Slots that overlap a window: its own, and the one it starts in. */
  readonly #slots: number
  readonly #maxKeys: number
  /** Key → its counts, the newest slot last; in least recently used order. */
  readonly #keys = new Map<string, { newest: number; counts: number[] }>()

  constructor(options: { rate: number; windowMs?: number; slots?: number; maxKeys?: number }) {
    this.#rate = options.rate
    this.#windowMs = options.windowMs ?? 60_000
    this.#slotMs = this.#windowMs / (options.slots ?? 10)
    this.#slots = (options.slots ?? 10) + 1
    this.#maxKeys = options.maxKeys ?? 100_000
  }

  /** Spends one for `key`: 0 when allowed (and counted), else the seconds until it would be. */
  take(key: string, now: number = Date.now()): number {
    const wait = this.retryAfterSeconds(key, now)
    if (wait > 0) return wait
    const slot = Math.floor(now / this.#slotMs)
    let entry = this.#keys.get(key)
    if (!entry) {
      entry = { newest: slot, counts: new Array<number>(this.#slots).fill(0) }
      this.#keys.set(key, entry)
      this.#trim(slot)
    }
    this.#advance(entry, slot)
    entry.counts[this.#slots - 1]!++
    return 0
  }

  /** Seconds until `key` may spend one more (0: it may now); counts nothing. */
  retryAfterSeconds(key: string, now: number = Date.now()): number {
    const entry = this.#keys.get(key)
    if (!entry) return 0
    const slot = Math.floor(now / this.#slotMs)
    this.#advance(entry, slot)
    let total = 0
    for (const count of entry.counts) total += count
    if (total === 0) {
      this.#keys.delete(key)
      return 0
    }
    // Recently used: a key that keeps knocking while it waits is the last to be forgotten.
    this.#keys.delete(key)
    this.#keys.set(key, entry)
    if (total < this.#rate) return 0
    // The oldest slots leave the window first; wait until enough of them have.
    for (let i = 0; i < this.#slots; i++) {
      total -= entry.counts[i]!
      if (total < this.#rate) {
        const leavesAt = (slot - (this.#slots - 1) + i + 1) * this.#slotMs + this.#windowMs
        return Math.max(1, Math.ceil((leavesAt - now) / 1000))
      }
    }
    return 1
  }

  get size(): number {
    return this.#keys.size
  }

  #advance(entry: { newest: number; counts: number[] }, slot: number): void {
    const shift = slot - entry.newest
    if (shift <= 0) return
    const { counts } = entry
    if (shift >= counts.length) counts.fill(0)
    else {
      counts.copyWithin(0, shift)
      counts.fill(0, counts.length - shift)
    }
    entry.newest = slot
  }

  /** Drops keys at the old end that counted nothing lately, and the least recently used one past the bound. */
  #trim(slot: number): void {
    for (let i = 0; i < 2; i++) {
      const oldest = this.#keys.entries().next()
      if (oldest.done) return
      const [key, entry] = oldest.value
      if (slot - entry.newest >= this.#slots || this.#keys.size > this.#maxKeys) this.#keys.delete(key)
      else return
    }
  }
}
