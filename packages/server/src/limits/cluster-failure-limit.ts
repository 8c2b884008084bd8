import type { FailureLimit } from './failure-limit.js'
import type { FailureWindow } from './failure-window.js'

/**
 * `serve --workers N` on SQLite: the primary holds the one failure window, and each worker asks it
 * over IPC for every attempt it would refuse. The primary answers in the order asked, so the limit
 * is exact across workers. (On PostgreSQL every worker uses the shared table instead.)
 */
export type FailureLimitMessage =
  | { readonly verity: 'refuse'; readonly id: number; readonly key: string }
  | { readonly verity: 'refused'; readonly id: number; readonly wait: number }

/** How long a worker waits for the primary before it counts alone. */
const ANSWER_TIMEOUT_MS = 1_000

/** The primary's side: the answer to a worker's question. */
export function answerRefusal(window: FailureWindow, message: Extract<FailureLimitMessage, { verity: 'refuse' }>, now: number): FailureLimitMessage {
  return { verity: 'refused', id: message.id, wait: window.refuse(message.key, now) }
}

/** A worker's side. Without an answer in time (the primary is gone), it counts in its own window. */
export class ClusterFailureLimit implements FailureLimit {
  readonly #send: (message: FailureLimitMessage) => boolean
  readonly #fallback: FailureWindow
  readonly #pending = new Map<number, (wait: number) => void>()
  #nextId = 0

  /** `send` returns false when the primary cannot be reached. */
  constructor(send: (message: FailureLimitMessage) => boolean, fallback: FailureWindow) {
    this.#send = send
    this.#fallback = fallback
  }

  refuse(key: string, now: number): number | Promise<number> {
    const id = ++this.#nextId
    return new Promise<number>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        resolve(this.#fallback.refuse(key, now))
      }, ANSWER_TIMEOUT_MS)
      this.#pending.set(id, (wait) => {
        clearTimeout(timer)
        this.#pending.delete(id)
        resolve(wait)
      })
      if (!this.#send({ verity: 'refuse', id, key })) this.#pending.get(id)?.(this.#fallback.refuse(key, now))
    })
  }

  /** The primary's answer arrived. */
  answered(message: Extract<FailureLimitMessage, { verity: 'refused' }>): void {
    this.#pending.get(message.id)?.(message.wait)
  }
}
