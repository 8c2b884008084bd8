import { identifierOf, isIdentified, type ClaimedIdentity } from './identity.js'
import { verifyIdentityToken, type IdentityTokenFailure } from './verify-identity-token.js'
import { verifyUserHash } from './verify-user-hash.js'
import type { VerifyingSecret } from './verifying-secret.js'
import { NO_PUBLIC_KEYS, type PlatformPublicKeys } from './platform-public-keys.js'

export type Proof =
  | { readonly type: 'user_hash'; readonly value: string }
  | { readonly type: 'identity_token'; readonly value: string }

/** The proof a request carries in its `user_hash` or `identity_token` field (callers refuse both at once). */
export function proofOf(fields: { readonly user_hash?: string | undefined; readonly identity_token?: string | undefined }): Proof | null {
  if (fields.user_hash !== undefined) return { type: 'user_hash', value: fields.user_hash }
  if (fields.identity_token !== undefined) return { type: 'identity_token', value: fields.identity_token }
  return null
}

export type ProofOutcome =
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'verified'
      readonly identity: ClaimedIdentity
      readonly secretId: string
      /**
       * Whether the proof covers the email too. A proof covers only what it was computed over: a
       * hash over the user id proves the user id, and an email sent beside it is a mere claim.
       */
      readonly emailVerified: boolean
      readonly signedAttributes: Readonly<Record<string, unknown>> | null
    }
  | { readonly kind: 'missing'; readonly identity: ClaimedIdentity }
  | {
      readonly kind: 'invalid'
      readonly identity: ClaimedIdentity
      readonly proof: Proof
      /** For identity tokens: what failed, for the diagnosis. */
      readonly tokenFailure: IdentityTokenFailure | null
    }
  | { readonly kind: 'unreadable_token' }

/**
 * What the proof sent with an identity establishes, against the active secrets of that platform of
 * that app only (rules 1–4). The caller has already refused a request that sends both proofs, or an
 * identity beside an identity token.
 */
export function checkProof(
  identity: ClaimedIdentity,
  proof: Proof | null,
  activeSecrets: readonly VerifyingSecret[],
  now: number = Date.now(),
  publicKeys: PlatformPublicKeys = NO_PUBLIC_KEYS,
): ProofOutcome {
  if (proof?.type === 'identity_token') {
    const result = verifyIdentityToken(proof.value, activeSecrets, now, publicKeys)
    if (result.kind === 'unreadable') return { kind: 'unreadable_token' }
    if (result.kind === 'invalid') return { kind: 'invalid', identity: result.identity, proof, tokenFailure: result.failure }
    // The token signs every claim it carries.
    const emailVerified = result.identity.email !== null
    return { kind: 'verified', identity: result.identity, secretId: result.secretId, emailVerified, signedAttributes: result.attributes }
  }
  if (!isIdentified(identity)) return { kind: 'anonymous' }
  if (!proof) return { kind: 'missing', identity }
  const secretId = verifyUserHash(activeSecrets, identifierOf(identity), proof.value)
  if (secretId === null) return { kind: 'invalid', identity, proof, tokenFailure: null }
  // The hash is over the user id when one is sent, else over the email (identifierOf).
  return { kind: 'verified', identity, secretId, emailVerified: identity.userId === null, signedAttributes: null }
}
