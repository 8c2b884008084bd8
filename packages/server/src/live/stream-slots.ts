import { VerityError } from '../errors/verity-error.js'
import type { AccessTokenClaims } from '../tokens/access-token-claims.js'

export interface StreamLimits {
  /** Streams one credential may hold (an access token: VERITY_STREAMS_PER_SESSION). */
  readonly perSession: number
  /** Streams one client address may hold (VERITY_STREAMS_PER_CLIENT). */
  readonly perClient: number
  /** Streams this process holds in all, whoever asks. */
  readonly total: number
}

/** Seconds a refused client should wait: about as long as a stream of its takes to go. */
const RETRY_AFTER_SECONDS = '5'

/**
 * The places for live streams: per access token, per client address and for the process. A place
 * is taken before a stream starts and given back only when its connection is gone, so a stream
 * that is closing (and may still hold memory) still counts.
 */
export class StreamSlots {
  readonly #limits: StreamLimits
  /** What holds the streams, in refusals: "access token", "dashboard session or API token". */
  readonly #holder: string
  readonly #bySession = new Map<string, number>()
  readonly #byClient = new Map<string, number>()
  #total = 0

  constructor(limits: StreamLimits, holder = 'access token') {
    this.#limits = limits
    this.#holder = holder
  }

  get size(): number {
    return this.#total
  }

  /** Takes a place for one credential (its key), or throws 429 (this credential or client holds its share) or 503 (the process is full). */
  take(sessionKey: string, client: string): () => void {
    if ((this.#bySession.get(sessionKey) ?? 0) >= this.#limits.perSession) {
      throw new VerityError('rate_limited', `This ${this.#holder} holds ${this.#limits.perSession} live streams already. Close one first.`, {
        headers: { 'Retry-After': RETRY_AFTER_SECONDS },
      })
    }
    if ((this.#byClient.get(client) ?? 0) >= this.#limits.perClient) {
      throw new VerityError('rate_limited', `This client address holds ${this.#limits.perClient} live streams already. Close one first.`, {
        headers: { 'Retry-After': RETRY_AFTER_SECONDS },
      })
    }
    if (this.#total >= this.#limits.total) {
      throw new VerityError('unavailable', 'This server holds as many live connections as it may. Retry shortly.', { headers: { 'Retry-After': RETRY_AFTER_SECONDS } })
    }
    add(this.#bySession, sessionKey, 1)
    add(this.#byClient, client, 1)
    this.#total++
    let held = true
    return () => {
      if (!held) return
      held = false
      add(this.#bySession, sessionKey, -1)
      add(this.#byClient, client, -1)
      this.#total--
    }
  }
}

/** One access token: tokens are signed by Verity, so these claims tell them apart. */
export function tokenKey(claims: AccessTokenClaims): string {
  return JSON.stringify([claims.aud, claims.plt, claims.trust, claims.sub, claims.did ?? null, claims.sid ?? null, claims.iat, claims.exp])
}

function add(counts: Map<string, number>, key: string, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta
  if (next <= 0) counts.delete(key)
  else counts.set(key, next)
}
