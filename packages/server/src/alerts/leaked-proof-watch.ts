/** Valid proofs for more than VERITY_LEAK_USERS distinct users from one source within this window. */
export const LEAK_WINDOW_MS = 10 * 60_000
/** Sources (device ids and client addresses) followed at once; the least recently started is forgotten first. */
export const LEAK_SOURCES_TRACKED = 10_000

interface SourceWindow {
  start: number
  /** 32-bit hashes of the users, at most maxUsers + 1: a few bytes each whatever the identifiers. */
  readonly users: Set<number>
  raised: boolean
}

/**
 * One device id or client address presenting valid proofs for many users means a secret that
 * signs anyone in from the client. Fixed windows of 10 minutes per source (a burst across two
 * windows may be counted in halves), at most LEAK_SOURCES_TRACKED sources, each holding at most
 * maxUsers + 1 numbers.
 */
export class LeakedProofWatch {
  readonly #maxUsers: number
  readonly #maxSources: number
  readonly #sources = new Map<string, SourceWindow>()

  /** `maxUsers`: VERITY_LEAK_USERS; 0 turns the rule off. */
  constructor(maxUsers: number, maxSources = LEAK_SOURCES_TRACKED) {
    this.#maxUsers = maxUsers
    this.#maxSources = maxSources
  }

  get tracked(): number {
    return this.#sources.size
  }

  /** A valid proof for `user` from `source`; true exactly once, when the source passes the bound. */
  verified(source: string, user: string, now: number): boolean {
    if (this.#maxUsers === 0) return false
    let w = this.#sources.get(source)
    if (w !== undefined && now - w.start >= LEAK_WINDOW_MS) {
      this.#sources.delete(source)
      w = undefined
    }
    if (w === undefined) {
      if (this.#sources.size >= this.#maxSources) this.#sources.delete(this.#sources.keys().next().value!)
      w = { start: now, users: new Set(), raised: false }
      this.#sources.set(source, w)
    }
    if (w.raised) return false
    w.users.add(fnv1a(user))
    if (w.users.size <= this.#maxUsers) return false
    w.raised = true
    return true
  }
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}
