import { hash } from 'node:crypto'
import type { RefusalAnswer } from '../storage/failure-limit-repository.js'
import type { FailureLimit } from './failure-limit.js'
import type { FailureWindow } from './failure-window.js'

export interface FailureLimitStore {
  refuse(key: string): Promise<RefusalAnswer>
  prune(): Promise<number>
}

export interface DatabaseFailureLimitOptions {
  readonly store: FailureLimitStore
  /** Counts here while the database cannot answer: the limit then holds per process only. */
  readonly fallback: FailureWindow
  readonly onError: (error: unknown) => void
  /** How many locked keys this process remembers (each saves a round trip while it is locked). */
  readonly maxLocked?: number
  readonly pruneEveryMs?: number
}

/** The stored key: any identifier fits (PostgreSQL text holds no NUL), and none is stored in the clear. */
export function failureLimitDigest(key: string): string {
  return hash('sha256', key, 'base64url')
}

/**
 * The failure limit on PostgreSQL: every instance and worker counts in one table, so the limit is
 * exact across all of them. Only refused attempts come here (a valid proof never does), one
 * statement each. A key found locked is remembered here until its lock ends: the end is exact,
 * since nothing is counted while a key is locked, so a flood on one identifier costs the database
 * nothing more. Should the database fail, this process counts alone until it answers again: the
 * limit then loosens to one per process, and never refuses a valid proof.
 */
export class DatabaseFailureLimit implements FailureLimit {
  readonly #options: DatabaseFailureLimitOptions
  readonly #maxLocked: number
  /** Digest → when its lock ends (this process's clock), oldest first. */
  readonly #locked = new Map<string, number>()
  #pruner: NodeJS.Timeout | null = null

  constructor(options: DatabaseFailureLimitOptions) {
    this.#options = options
    this.#maxLocked = options.maxLocked ?? 10_000
  }

  async refuse(key: string, now: number): Promise<number> {
    const digest = failureLimitDigest(key)
    const until = this.#locked.get(digest)
    if (until !== undefined) {
      if (now < until) return Math.ceil((until - now) / 1000)
      this.#locked.delete(digest)
    }
    let answer: RefusalAnswer
    try {
      answer = await this.#options.store.refuse(digest)
    } catch (error) {
      this.#options.onError(error)
      return this.#options.fallback.refuse(key, now)
    }
    if (answer.counted) return 0
    if (this.#locked.size >= this.#maxLocked) this.#locked.delete(this.#locked.keys().next().value!)
    this.#locked.set(digest, now + answer.retryAfterMs)
    return Math.max(1, Math.ceil(answer.retryAfterMs / 1000))
  }

  /** Deletes the rows of keys that no longer count, once a minute (every instance does; it is cheap). */
  start(): void {
    this.#pruner ??= setInterval(() => {
      this.#options.store.prune().catch(this.#options.onError)
    }, this.#options.pruneEveryMs ?? 60_000)
    this.#pruner.unref()
  }

  stop(): void {
    if (this.#pruner) clearInterval(this.#pruner)
    this.#pruner = null
  }
}
