/**
 * The longest of a series of synchronous calls since the last look. SQLite answers on the event
 * loop, so each of its calls holds every request for as long as it takes: the longest one is what
 * an operator compares with the loop's delay, to tell storage from everything else.
 */
export class LongestCall {
  #maxMs = 0

  /** Runs `call`, timing it. */
  time<T>(call: () => T): T {
    const started = performance.now()
    try {
      return call()
    } finally {
      const ms = performance.now() - started
      if (ms > this.#maxMs) this.#maxMs = ms
    }
  }

  /** The longest call since the previous take (ms), and starts over. */
  take(): number {
    const max = this.#maxMs
    this.#maxMs = 0
    return max
  }
}
