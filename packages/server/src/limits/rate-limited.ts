import { VerityError } from '../errors/verity-error.js'

/** 429 `rate_limited` with Retry-After, in seconds. */
export function rateLimited(retryAfterSeconds: number, message?: string): VerityError {
  return new VerityError('rate_limited', message, { headers: { 'Retry-After': String(retryAfterSeconds) } })
}
