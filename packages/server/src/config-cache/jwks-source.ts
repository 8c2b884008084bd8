import type { Logger } from 'pino'
import type { PublicKeyLookup, VerifyingPublicKey } from '../verification/platform-public-keys.js'
import { MAX_JWKS_MAX_AGE_MS, type FetchedJwks, type FetchJwks } from './fetch-jwks.js'

/** An unknown kid refetches a JWKS at most this often (API.md). */
export const JWKS_REFETCH_INTERVAL_MS = 60_000

export interface JwksStatus {
  readonly kids: readonly string[]
  readonly fetchedAt: number | null
  readonly freshUntil: number | null
  readonly lastError: string | null
}

/**
 * One JWKS URL's keys in memory, and when to fetch them again.
 *
 * Fresh for its Cache-Control max-age (5 min to 24 h); past it, the next lookup starts one fetch
 * in the background and keeps answering from the keys it has. While fetches fail, the keys of the
 * last good fetch keep working for 24 hours after it (the cache's upper bound), then a token
 * whose kid is unknown is refused as `jwks_unreachable`. Fetches start at most once a minute, so a
 * flood of tokens naming made-up kids costs the customer's server one request a minute per process.
 */
export class JwksSource {
  readonly registrationId: string
  readonly url: string
  readonly #fetch: FetchJwks
  readonly #now: () => number
  readonly #logger: Logger
  /** The URL as logs show it: without its query, which may carry a credential of the customer's. */
  readonly #logUrl: string
  #keys = new Map<string, VerifyingPublicKey>()
  #fetchedAt = -Infinity
  #freshUntil = -Infinity
  #lastAttemptAt = -Infinity
  #lastError: string | null = null
  #inFlight: Promise<void> | null = null

  constructor(registrationId: string, url: string, deps: { fetch: FetchJwks; now: () => number; logger: Logger }) {
    this.registrationId = registrationId
    this.url = url
    this.#fetch = deps.fetch
    this.#now = deps.now
    this.#logger = deps.logger
    this.#logUrl = url.replace(/[?#].*$/, '')
  }

  lookup(kid: string): PublicKeyLookup {
    const now = this.#now()
    if (now >= this.#freshUntil) void this.refetch()
    const usable = now < this.#fetchedAt + MAX_JWKS_MAX_AGE_MS
    const key = usable ? this.#keys.get(kid) : undefined
    if (key) return { kind: 'found', key }
    return usable ? { kind: 'unknown' } : { kind: 'unreachable' }
  }

  /**
   * One fetch, shared by everyone who asks while it runs; null when the last one started less
   * than a minute ago (the answer stands until then).
   */
  refetch(): Promise<void> | null {
    if (this.#inFlight) return this.#inFlight
    const now = this.#now()
    if (now - this.#lastAttemptAt < JWKS_REFETCH_INTERVAL_MS) return null
    this.#lastAttemptAt = now
    this.#inFlight = this.#fetch(this.url)
      .then(
        // Counted from when the fetch started: the answer is at least that old.
        (fetched) => this.#accept(fetched, now),
        (error: unknown) => {
          const message = error instanceof Error ? error.message : String(error)
          if (this.#lastError === null) {
            this.#logger.warn({ publicKeyId: this.registrationId, url: this.#logUrl, reason: message }, 'the JWKS URL cannot be fetched; its last keys keep working for 24 hours after they were fetched')
          }
          this.#lastError = message
        },
      )
      .finally(() => {
        this.#inFlight = null
      })
    return this.#inFlight
  }

  /** The answer of a fetch made elsewhere (registration's), as if this source had made it at `at`. */
  seed(fetched: FetchedJwks, at: number): void {
    this.#lastAttemptAt = at
    this.#accept(fetched, at)
  }

  #accept({ keys, maxAgeMs }: FetchedJwks, at: number): void {
    const next = new Map<string, VerifyingPublicKey>()
    for (const key of keys) next.set(key.kid, { registrationId: this.registrationId, kid: key.kid, algorithm: key.algorithm, key: key.key })
    this.#keys = next
    this.#fetchedAt = at
    this.#freshUntil = at + maxAgeMs
    if (this.#lastError !== null) this.#logger.info({ publicKeyId: this.registrationId, url: this.#logUrl }, 'the JWKS URL answers again')
    this.#lastError = null
  }

  status(): JwksStatus {
    const known = Number.isFinite(this.#fetchedAt)
    return {
      kids: [...this.#keys.keys()],
      fetchedAt: known ? this.#fetchedAt : null,
      freshUntil: known ? this.#freshUntil : null,
      lastError: this.#lastError,
    }
  }
}
