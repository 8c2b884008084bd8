import { randomBytes } from 'node:crypto'

/**
 * Refusals of identifiers that found the failure limit's exact table full (failure-window.ts),
 * counted per second in one of a fixed number of shared buckets, chosen by a keyed hash of the
 * identifier. Identifiers that share a bucket add up: a bucket may count more than one
 * identifier's refusals, never fewer. Over-counting is safe here, because the failure limit only
 * ever turns an attempt that is refused anyway (401) into a 429; under-counting would give a
 * guesser more tries. The hash key is random per process, so nobody can aim at a bucket.
 *
 * Memory: two typed arrays of `buckets × (window in seconds + 1)` cells, made on the first spill.
 */
export class SpillBuckets {
  readonly #buckets: number
  readonly #windowMs: number
  /** Cells per bucket: one per second of the window, and the second it starts in. */
  readonly #seconds: number
  readonly #counts: Uint32Array
  /** The second each cell counts (cells of an older second are stale). */
  readonly #stamps: Float64Array
  readonly #seed = randomBytes(4).readUInt32LE(0)

  constructor(options: { windowMs: number; buckets?: number }) {
    this.#buckets = options.buckets ?? 4096
    this.#windowMs = options.windowMs
    this.#seconds = Math.ceil(options.windowMs / 1000) + 1
    this.#counts = new Uint32Array(this.#buckets * this.#seconds)
    this.#stamps = new Float64Array(this.#buckets * this.#seconds).fill(-1)
  }

  add(key: string, now: number): void {
    const second = Math.floor(now / 1000)
    const cell = this.#bucket(key) * this.#seconds + (second % this.#seconds)
    if (this.#stamps[cell] !== second) {
      this.#stamps[cell] = second
      this.#counts[cell] = 0
    }
    this.#counts[cell]!++
  }

  /**
   * The refusals in `key`'s bucket that still count at `now`, as [time, count], oldest first. A
   * refusal counts as made at the end of its second, so it is never forgotten early.
   */
  entries(key: string, now: number): Array<[at: number, count: number]> {
    const base = this.#bucket(key) * this.#seconds
    const found: Array<[number, number]> = []
    for (let i = 0; i < this.#seconds; i++) {
      const at = this.#stamps[base + i]! * 1000 + 999
      if (this.#counts[base + i]! > 0 && now - at < this.#windowMs) found.push([at, this.#counts[base + i]!])
    }
    return found.sort((a, b) => a[0] - b[0])
  }

  /** FNV-1a over the UTF-16 code units, from a random start. */
  #bucket(key: string): number {
    let hash = (0x811c9dc5 ^ this.#seed) >>> 0
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0
    return hash % this.#buckets
  }
}
