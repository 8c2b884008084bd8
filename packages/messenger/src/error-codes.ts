/**
 * Every code a `VerityError` can carry. The first group comes from Verity's messenger API (a test
 * checks it against every code the server's messenger routes declare); the second is the SDK's own.
 */
export const VERITY_ERROR_CODES = [
  'invalid_request',
  'user_hash_missing',
  'user_hash_invalid',
  'token_missing',
  'token_invalid',
  'token_expired',
  'verification_required',
  'app_not_found',
  'not_found',
  'signed_attribute',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'internal_error',
  'unavailable',
  // The SDK's own: no answer, an answer that is not Verity's, a fetch that cannot stream.
  'network_error',
  'unexpected_response',
  'streaming_unsupported',
] as const

/** A `VerityError`'s code: switch on it, the compiler knows every case. */
export type VerityErrorCode = (typeof VERITY_ERROR_CODES)[number]

const KNOWN: ReadonlySet<string> = new Set(VERITY_ERROR_CODES)

export function isVerityErrorCode(code: string): code is VerityErrorCode {
  return KNOWN.has(code)
}
