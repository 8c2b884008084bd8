import type { ClaimedIdentity } from './identity.js'
import type { Proof } from './check-proof.js'
import type { Platform } from './platforms.js'
import type { IdentityTokenFailure } from './verify-identity-token.js'

export type AttemptOutcome = 'verified' | 'missing' | 'invalid'

/** One identified attempt, for the rollout statistics. */
export interface AuthAttemptEvent {
  readonly at: number
  readonly appId: string
  readonly platform: Platform
  readonly identity: ClaimedIdentity
  readonly outcome: AttemptOutcome
  readonly secretId: string | null
  readonly appVersion: string | null
  readonly sdkVersion: string | null
}

/** A failed proof (or a missing one on an enforced platform), for the failure log and its diagnosis. */
export interface AuthFailureEvent {
  readonly at: number
  readonly appId: string
  readonly platform: Platform
  readonly identity: ClaimedIdentity
  readonly appVersion: string | null
  readonly refused: boolean
  readonly code: 'user_hash_missing' | 'user_hash_invalid'
  readonly proof: Proof | null
  readonly tokenFailure: IdentityTokenFailure | 'unreadable' | null
  /** Set when the client sent an active secret of the app (its id, never its value). */
  readonly exposedSecretId?: string
}

/**
 * Where the hot path drops what it learned. Implementations must return at once and never touch
 * storage on the caller's time: the auth request does not wait on the database.
 */
export interface AuthEventSink {
  attempt(event: AuthAttemptEvent): void
  failure(event: AuthFailureEvent): void
}
