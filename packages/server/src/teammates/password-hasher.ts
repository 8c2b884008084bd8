import { VerityError } from '../errors/verity-error.js'
import { hashPassword, OWASP_LOG_N, verifyPassword } from '../crypto/password-hash.js'

export interface PasswordHasherOptions {
  /** Hashes computed at once (each holds 128 MiB at OWASP's cost). */
  readonly concurrency: number
  /** Hashes waiting for a place; past it, 503 at once instead of a growing queue. */
  readonly queue: number
  /** log2 of scrypt's N; OWASP's 17 unless a test lowers it. */
  readonly logN?: number
}

/**
 * Every password hash goes through here, so a sign-in flood costs at most `concurrency` hashes'
 * memory at a time and a bounded queue: the rest is answered 503 `unavailable` with Retry-After
 * straight away (the per-address and per-email limits answer 429 before this).
 */
export class PasswordHasher {
  readonly #options: PasswordHasherOptions
  #running = 0
  readonly #waiting: Array<() => void> = []
  /** A hash of a random password: unknown emails are verified against it, in the same time. */
  #decoy: Promise<string> | null = null

  constructor(options: PasswordHasherOptions) {
    this.#options = options
  }

  get logN(): number {
    return this.#options.logN ?? OWASP_LOG_N
  }

  hash(password: string): Promise<string> {
    return this.#run(() => hashPassword(password, this.logN))
  }

  verify(password: string, stored: string): Promise<boolean> {
    return this.#run(() => verifyPassword(password, stored))
  }

  /** The work of a verification against nothing: an unknown email takes as long as a known one. */
  async verifyDecoy(password: string): Promise<false> {
    this.#decoy ??= hashPassword(`decoy-${Math.random()}-${Date.now()}`, this.logN)
    await this.verify(password, await this.#decoy)
    return false
  }

  async #run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#options.concurrency) {
      if (this.#waiting.length >= this.#options.queue) {
        throw new VerityError('unavailable', 'Too many sign-ins at once. Retry in a few seconds.', { headers: { 'Retry-After': '2' } })
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve))
    } else {
      this.#running++
    }
    try {
      return await work()
    } finally {
      const next = this.#waiting.shift()
      // The place passes straight to the next in line; `running` counts it still.
      if (next) next()
      else this.#running--
    }
  }
}
