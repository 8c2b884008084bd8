import type { ProfileView } from '../profile/apply-profile-patch.js'

/**
 * The longest a cached profile is served without a read. Changes made through this process drop
 * the entry at once and, on PostgreSQL, other instances' entries on their NOTIFY; this bound holds
 * when such a notice is lost (a listening connection that died without a word, found by its
 * heartbeat only seconds later).
 */
export const PROFILE_CACHE_TTL_MS = 5_000

export interface ProfileCacheOptions {
  /** Entries kept at most (VERITY_PROFILE_CACHE_SIZE); 0 keeps none. */
  readonly maxEntries: number
  readonly ttlMs?: number
  readonly now?: () => number
  /**
   * False while changes from other processes could go unnoticed (the PostgreSQL listener is
   * away): the cache then serves nothing and keeps nothing.
   */
  readonly usable?: () => boolean
}

interface Entry {
  readonly view: ProfileView
  readonly at: number
}

/** One user's key in the cache and in the NOTIFY that drops it: the app and the namespaced identity. */
export function profileCacheKey(appId: string, userKey: string): string {
  return `${appId} ${userKey}`
}

/**
 * Verified users' profiles as `GET /v1/messenger/me` shows them, so that a call reads no storage.
 * Least recently used entries go first past `maxEntries`. A read that started before an
 * invalidation is not cached (it may have seen the row before the change): every invalidation
 * moves `generation`, and `set` keeps a view only if the generation it read at is still current.
 */
export class ProfileCache {
  readonly #entries = new Map<string, Entry>()
  readonly #maxEntries: number
  readonly #ttlMs: number
  readonly #now: () => number
  readonly #usable: () => boolean
  #generation = 0
  #hits = 0
  #misses = 0

  constructor(options: ProfileCacheOptions) {
    this.#maxEntries = options.maxEntries
    this.#ttlMs = options.ttlMs ?? PROFILE_CACHE_TTL_MS
    this.#now = options.now ?? Date.now
    this.#usable = options.usable ?? (() => true)
  }

  get size(): number {
    return this.#entries.size
  }

  get hits(): number {
    return this.#hits
  }

  get misses(): number {
    return this.#misses
  }

  /** Read before the storage read whose result is offered to `set`. */
  get generation(): number {
    return this.#generation
  }

  get(key: string): ProfileView | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined || !this.#usable() || this.#now() - entry.at >= this.#ttlMs) {
      if (entry !== undefined) this.#entries.delete(key)
      this.#misses++
      return undefined
    }
    // Most recently used last: a Map iterates in insertion order.
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    this.#hits++
    return entry.view
  }

  /** Keeps `view`, read at `generation`, unless something was invalidated since. */
  set(key: string, view: ProfileView, generation: number): void {
    if (this.#maxEntries === 0 || generation !== this.#generation || !this.#usable()) return
    this.#entries.delete(key)
    this.#entries.set(key, { view, at: this.#now() })
    if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!)
  }

  /** This user's profile changed (or may have). */
  invalidate(key: string): void {
    this.#generation++
    this.#entries.delete(key)
  }

  /** Anything may have changed: an erasure, an app's deletion, a notice that was lost. */
  clear(): void {
    this.#generation++
    this.#entries.clear()
  }
}
