/**
 * Latencies in logarithmic buckets 2% wide, from 10 µs to about 100 s: a minute of a soak is
 * hundreds of thousands of samples, and a percentile within 2% needs only a few hundred counters.
 */
const FLOOR_MS = 0.01
const GROWTH = 1.02
const BUCKETS = Math.ceil(Math.log(100_000 / FLOOR_MS) / Math.log(GROWTH)) + 1

export class Histogram {
  readonly #counts = new Float64Array(BUCKETS)
  #count = 0
  #max = 0

  get count(): number {
    return this.#count
  }

  get max(): number {
    return this.#max
  }

  record(ms: number): void {
    const index = ms <= FLOOR_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / FLOOR_MS) / Math.log(GROWTH)))
    this.#counts[index]!++
    this.#count++
    if (ms > this.#max) this.#max = ms
  }

  add(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.#counts[i]! += other.#counts[i]!
    this.#count += other.#count
    if (other.#max > this.#max) this.#max = other.#max
  }

  /** The upper bound of the bucket holding the q-th quantile (0 < q ≤ 1), in ms; 0 when empty. */
  quantile(q: number): number {
    if (this.#count === 0) return 0
    const rank = Math.ceil(q * this.#count)
    let seen = 0
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!
      if (seen >= rank) return Math.min(this.#max, FLOOR_MS * GROWTH ** i)
    }
    return this.#max
  }
}
