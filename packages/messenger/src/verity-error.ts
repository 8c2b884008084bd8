import type { VerityErrorCode } from './error-codes.js'

/**
 * Why a call to Verity failed.
 *
 * `code` is the API's stable error code (`user_hash_invalid`, `token_expired`, `not_found`, …; see
 * the table in the package README), or one of the SDK's own: `network_error` (Verity could not be
 * reached), `unexpected_response` (an answer that is not Verity's JSON, or a code this version of the
 * SDK does not know), `streaming_unsupported` (a fetch that cannot stream live messages). `status` is the HTTP status,
 * or 0 when no answer came back or the SDK refused the call itself.
 *
 * @example
 * ```ts
 * try {
 *   await messenger.login({ userId, userHash })
 * } catch (error) {
 *   if (error instanceof VerityError && error.code === 'user_hash_invalid') reportToYourBackend(error)
 *   else throw error
 * }
 * ```
 */
export class VerityError extends Error {
  /** The API's stable snake_case error code, or one of the SDK's own. */
  readonly code: VerityErrorCode
  /** The HTTP status; 0 when there was no answer (network) or the SDK refused the call itself. */
  readonly status: number
  /** Seconds to wait before retrying, from `Retry-After` (with `rate_limited` and `unavailable`). */
  readonly retryAfter: number | undefined

  constructor(code: VerityErrorCode, message: string, status = 0, retryAfter?: number) {
    super(message)
    this.name = 'VerityError'
    this.code = code
    this.status = status
    this.retryAfter = retryAfter
  }
}
