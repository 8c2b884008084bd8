/**
 * The failure limit holds per identifier, app and platform across every process that serves an
 * app, not per process: otherwise N instances behind a load balancer would allow N times the
 * limit. Each process keeps refusals in memory (the hot path reads no database) and tells the
 * others about its own, batched, so a flood of refusals costs a few messages a second rather than
 * one per refusal. The transport is PostgreSQL NOTIFY between instances, IPC between workers.
 */
export interface RefusalLimiter {
  retryAfterSeconds(key: string, now: number): number
  recordRefusal(key: string, now: number): void
}

export interface RefusalTransport {
  /** Sends one batch to the other processes; must not throw (a lost batch only loosens the limit). */
  send(batch: string): void
  /** Delivers batches from the other processes (its own may come back too: they are skipped). */
  onReceive(handler: (batch: string) => void): void
}

export interface SharedRefusalsOptions {
  readonly limiter: RefusalLimiter
  readonly transport: RefusalTransport
  /** Distinguishes this process's batches from the others'. */
  readonly processId: string
  readonly flushMs?: number
  /** NOTIFY payloads must stay under 8000 bytes; batches are cut below this. */
  readonly maxBatchBytes?: number
}

type Batch = { from: string; refusals: Array<[key: string, at: number]> }

export class SharedRefusals implements RefusalLimiter {
  readonly #options: SharedRefusalsOptions
  #pending: Array<[string, number]> = []
  #timer: NodeJS.Timeout | null = null

  constructor(options: SharedRefusalsOptions) {
    this.#options = options
    options.transport.onReceive((batch) => this.#receive(batch))
  }

  retryAfterSeconds(key: string, now: number): number {
    return this.#options.limiter.retryAfterSeconds(key, now)
  }

  recordRefusal(key: string, now: number): void {
    this.#options.limiter.recordRefusal(key, now)
    this.#pending.push([key, now])
    this.#timer ??= setTimeout(() => this.flush(), this.#options.flushMs ?? 100)
  }

  /** Sends what is pending now (also called on shutdown). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    const pending = this.#pending
    this.#pending = []
    const max = this.#options.maxBatchBytes ?? 7_000
    let batch: Batch = { from: this.#options.processId, refusals: [] }
    let size = 64
    for (const entry of pending) {
      const entrySize = JSON.stringify(entry).length + 1
      if (entrySize + 64 > max) continue // an identifier this long cannot be shared; it still counts here
      if (size + entrySize > max) {
        this.#options.transport.send(JSON.stringify(batch))
        batch = { from: this.#options.processId, refusals: [] }
        size = 64
      }
      batch.refusals.push(entry)
      size += entrySize
    }
    if (batch.refusals.length > 0) this.#options.transport.send(JSON.stringify(batch))
  }

  #receive(raw: string): void {
    let batch: Partial<Batch> | null
    try {
      batch = JSON.parse(raw) as Partial<Batch> | null
    } catch {
      return
    }
    if (typeof batch !== 'object' || batch === null || batch.from === this.#options.processId || !Array.isArray(batch.refusals)) return
    for (const entry of batch.refusals) {
      if (Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number') {
        this.#options.limiter.recordRefusal(entry[0], entry[1])
      }
    }
  }
}
