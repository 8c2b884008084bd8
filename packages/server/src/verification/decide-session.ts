import type { ClaimedIdentity } from './identity.js'
import { ANONYMOUS } from './identity.js'
import type { ProofOutcome } from './check-proof.js'

export type Trust = 'verified' | 'unverified' | 'anonymous'

export type SessionDecision =
  | {
      readonly kind: 'session'
      readonly trust: Trust
      readonly identity: ClaimedIdentity
      readonly secretId: string | null
      /** Only a verified session's proof can cover its email. */
      readonly emailVerified: boolean
    }
  | { readonly kind: 'refused'; readonly code: 'user_hash_missing' | 'user_hash_invalid' }

/**
 * Rule 5: on an enforced platform an identified user without a valid proof is refused; otherwise
 * the user is let in unverified (the attempt still counts for the rollout). Anonymous visitors are
 * exempt. A token that cannot be read is refused everywhere: there is no identity to let in.
 */
export function decideSession(outcome: ProofOutcome, enforced: boolean): SessionDecision {
  switch (outcome.kind) {
    case 'anonymous':
      return { kind: 'session', trust: 'anonymous', identity: ANONYMOUS, secretId: null, emailVerified: false }
    case 'verified':
      return { kind: 'session', trust: 'verified', identity: outcome.identity, secretId: outcome.secretId, emailVerified: outcome.emailVerified }
    case 'unreadable_token':
      return { kind: 'refused', code: 'user_hash_invalid' }
    case 'missing':
      return enforced
        ? { kind: 'refused', code: 'user_hash_missing' }
        : { kind: 'session', trust: 'unverified', identity: outcome.identity, secretId: null, emailVerified: false }
    case 'invalid':
      return enforced
        ? { kind: 'refused', code: 'user_hash_invalid' }
        : { kind: 'session', trust: 'unverified', identity: outcome.identity, secretId: null, emailVerified: false }
  }
}
