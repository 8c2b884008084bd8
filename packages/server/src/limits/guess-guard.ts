import { VerityError } from '../errors/verity-error.js'
import { clientKey } from './client-key.js'
import { rateLimited } from './rate-limited.js'
import type { RateWindow } from './rate-window.js'

/**
 * Credential guesses per client address (VERITY_ADMIN_GUESS_RATE): the admin key today, API
 * tokens and sign-in as they come. A wrong credential counts; past the limit, every attempt from
 * that address gets 429, a right credential too, so a guess can never be confirmed there. A
 * request without any credential is no guess and counts nothing.
 */
export class GuessGuard {
  readonly #guesses: RateWindow

  constructor(guesses: RateWindow) {
    this.#guesses = guesses
  }

  /** Runs `check`, which throws VerityError `unauthorized` for a wrong credential. */
  check<T>(client: string, presented: boolean, check: () => T, now: number = Date.now()): T {
    if (!presented) return check()
    const key = clientKey(client)
    const wait = this.#guesses.retryAfterSeconds(key, now)
    if (wait > 0) throw rateLimited(wait, 'Too many wrong credentials from this address. Retry later.')
    try {
      return check()
    } catch (error) {
      if (error instanceof VerityError && error.code === 'unauthorized') this.#guesses.take(key, now)
      throw error
    }
  }

  /** The same for an asynchronous check (an API token or a session read from storage, a sign-in). */
  async checkAsync<T>(client: string, presented: boolean, check: () => Promise<T>, now: number = Date.now()): Promise<T> {
    if (!presented) return check()
    const key = clientKey(client)
    const wait = this.#guesses.retryAfterSeconds(key, now)
    if (wait > 0) throw rateLimited(wait, 'Too many wrong credentials from this address. Retry later.')
    try {
      return await check()
    } catch (error) {
      if (error instanceof VerityError && GUESS_CODES.has(error.code)) this.#guesses.take(key, now)
      throw error
    }
  }
}

/** Answers that mean "a wrong credential": each one is a guess. */
const GUESS_CODES: ReadonlySet<string> = new Set(['unauthorized', 'invalid_credentials', 'totp_invalid'])
