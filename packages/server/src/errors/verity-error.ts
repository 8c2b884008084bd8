import { ERROR_CATALOGUE, type ErrorCode } from './error-catalogue.js'

export interface VerityErrorOptions {
  /** Headers the HTTP layer must add, such as Retry-After or WWW-Authenticate. */
  headers?: Record<string, string>
  /** Detail for the log only; never sent to the client. */
  cause?: unknown
}

/**
 * A refusal of untrusted input or an unavailable dependency, with a stable code. Programmer and
 * configuration mistakes are not VerityErrors: they throw TypeError or ConfigError.
 */
export class VerityError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly headers: Readonly<Record<string, string>>

  constructor(code: ErrorCode, message?: string, options: VerityErrorOptions = {}) {
    super(message ?? ERROR_CATALOGUE[code].message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'VerityError'
    this.code = code
    this.status = ERROR_CATALOGUE[code].status
    this.headers = options.headers ?? {}
  }
}
