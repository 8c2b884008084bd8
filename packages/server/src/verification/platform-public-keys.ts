import type { PublicKeyAlgorithm } from './public-jwk.js'
import type { KeyObject } from 'node:crypto'

/** A customer-held public key as the hot path holds it. */
export interface VerifyingPublicKey {
  /** The registration (a JWK, or the JWKS URL that served it): the `sid` of the sessions it verifies. */
  readonly registrationId: string
  readonly kid: string
  readonly algorithm: PublicKeyAlgorithm
  readonly key: KeyObject
}

export type PublicKeyLookup =
  | { readonly kind: 'found'; readonly key: VerifyingPublicKey }
  /** No key of the platform has this kid, and every JWKS of the platform is current. */
  | { readonly kind: 'unknown' }
  /** No key has this kid, and a JWKS URL of the platform could not be fetched within the cache bound. */
  | { readonly kind: 'unreachable' }

/** The public keys of one platform, in memory: registered JWKs and the keys of its JWKS URLs. */
export interface PlatformPublicKeys {
  /** How many registrations (JWKs and JWKS URLs) the platform has. */
  readonly count: number
  /** Whether the registration is still in place (a session verified by it stays valid). */
  has(registrationId: string): boolean
  lookup(kid: string): PublicKeyLookup
}

export const NO_PUBLIC_KEYS: PlatformPublicKeys = Object.freeze({
  count: 0,
  has: () => false,
  lookup: () => ({ kind: 'unknown' }) as const,
})
