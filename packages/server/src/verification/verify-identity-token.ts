import { createDecoder, createVerifier } from 'fast-jwt'
import { identifierProblem, type ClaimedIdentity } from './identity.js'
import { NO_PUBLIC_KEYS, type PlatformPublicKeys } from './platform-public-keys.js'
import { isPublicKeyAlgorithm } from './public-jwk.js'
import { algorithmMatches, verifyPublicKeySignature } from './verify-public-key-signature.js'
import type { VerifyingSecret } from './verifying-secret.js'

export type IdentityTokenFailure =
  | 'signature'
  | 'unknown_kid'
  | 'expired'
  | 'algorithm'
  | 'claims'
  | 'lifetime'
  | 'crit'
  /** ES256/EdDSA: the kid names no public key of the platform. */
  | 'unknown_public_key'
  /** ES256/EdDSA: the signature does not verify under the public key the kid names. */
  | 'public_key_signature'
  /** ES256/EdDSA: the kid is unknown and a JWKS URL of the platform cannot be fetched. */
  | 'jwks_unreachable'

export type IdentityTokenResult =
  /** Not a JWT, or it names no usable identity: refused on every platform, recorded without identity. */
  | { readonly kind: 'unreadable' }
  | { readonly kind: 'invalid'; readonly identity: ClaimedIdentity; readonly failure: IdentityTokenFailure }
  | {
      readonly kind: 'valid'
      readonly identity: ClaimedIdentity
      readonly secretId: string
      readonly attributes: Readonly<Record<string, unknown>> | null
    }

const decode = createDecoder({ complete: true })
export const MAX_SIGNED_ATTRIBUTES_BYTES = 8 * 1024
/**
 * The longest an identity token may live: a token is signed for one login, and one that lives
 * for years is a password that cannot be revoked short of revoking the secret.
 */
export const MAX_IDENTITY_TOKEN_LIFETIME_SECONDS = 24 * 3600
/** The clock skew tolerated between the customer's server and Verity, as for `exp`. */
const LEEWAY_SECONDS = 60

/** The verifier for tokens signed with one platform secret; built once per secret, at config load. */
export function identityTokenVerifier(key: Buffer): ReturnType<typeof createVerifier> {
  return createVerifier({ key, algorithms: ['HS256'], requiredClaims: ['exp'], clockTolerance: 60_000, cache: false })
}

function readIdentity(payload: Record<string, unknown>): ClaimedIdentity | null {
  const { user_id: userId, email } = payload
  if (userId === undefined && email === undefined) return null
  if (userId !== undefined && (typeof userId !== 'string' || identifierProblem(userId))) return null
  if (email !== undefined && (typeof email !== 'string' || identifierProblem(email))) return null
  return { userId: (userId as string | undefined) ?? null, email: (email as string | undefined) ?? null }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Why a token whose signature holds lives too long, or null: `exp` more than 24 h after `iat`,
 * or more than 24 h from now (so that an `iat` in the future does not stretch it either).
 */
function lifetimeProblem(payload: Record<string, unknown>, nowSeconds: number): IdentityTokenFailure | null {
  const { exp, iat } = payload
  if (typeof exp !== 'number') return 'claims'
  if (iat !== undefined && typeof iat !== 'number') return 'claims'
  if (typeof iat === 'number' && exp - iat > MAX_IDENTITY_TOKEN_LIFETIME_SECONDS) return 'lifetime'
  if (exp - nowSeconds > MAX_IDENTITY_TOKEN_LIFETIME_SECONDS + LEEWAY_SECONDS) return 'lifetime'
  return null
}

/**
 * The claims a token signed with a public key must hold, as fast-jwt checks them for HS256:
 * `exp` a number, not passed by more than the leeway (else expired); `nbf`, when present, a number
 * not ahead by more than the leeway.
 */
function timeProblem(payload: Record<string, unknown>, now: number): IdentityTokenFailure | null {
  const { exp, nbf } = payload
  if (typeof exp !== 'number') return 'claims'
  if (nbf !== undefined && (typeof nbf !== 'number' || !(now >= nbf * 1000 - LEEWAY_SECONDS * 1000))) return 'claims'
  if (!(now <= exp * 1000 + LEEWAY_SECONDS * 1000)) return 'expired'
  return null
}

/** What every token whose signature held must also pass, whatever signed it. */
function acceptSigned(payload: Record<string, unknown>, identity: ClaimedIdentity, secretId: string, now: number): IdentityTokenResult {
  const lifetime = lifetimeProblem(payload, Math.floor(now / 1000))
  if (lifetime) return { kind: 'invalid', identity, failure: lifetime }
  const attributes = payload.attributes
  if (attributes !== undefined) {
    if (!isPlainObject(attributes) || JSON.stringify(attributes).length > MAX_SIGNED_ATTRIBUTES_BYTES) {
      return { kind: 'invalid', identity, failure: 'claims' }
    }
  }
  return { kind: 'valid', identity, secretId, attributes: attributes ?? null }
}

/**
 * A token signed with a customer-held key: the `kid` must name one of the platform's public keys,
 * and the `alg` must be the one that key's type signs (RFC 8725 §3.1: one algorithm per key), so
 * neither header member can pick how the signature is checked.
 */
function verifyWithPublicKey(
  token: string,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  identity: ClaimedIdentity,
  publicKeys: PlatformPublicKeys,
  now: number,
): IdentityTokenResult {
  if (typeof header.kid !== 'string') return { kind: 'invalid', identity, failure: 'unknown_public_key' }
  const found = publicKeys.lookup(header.kid)
  if (found.kind === 'unreachable') return { kind: 'invalid', identity, failure: 'jwks_unreachable' }
  if (found.kind === 'unknown') return { kind: 'invalid', identity, failure: 'unknown_public_key' }
  const { key } = found
  if (!verifyPublicKeySignature(token, header.alg, key)) {
    return { kind: 'invalid', identity, failure: algorithmMatches(header.alg, key) ? 'public_key_signature' : 'algorithm' }
  }
  const time = timeProblem(payload, now)
  if (time) return { kind: 'invalid', identity, failure: time }
  return acceptSigned(payload, identity, key.registrationId, now)
}

/**
 * Verifies an identity token (API.md rule 4): no `crit` header (Verity understands no extension,
 * and RFC 7515 says a token naming one it does not understand must be refused); HS256 signed with
 * an active secret of the platform (the one its `kid` names, else any), or ES256/EdDSA signed with
 * the public key its `kid` names; `exp` required with 60 s of leeway and at most 24 h ahead.
 */
export function verifyIdentityToken(
  token: string,
  activeSecrets: readonly VerifyingSecret[],
  now: number = Date.now(),
  publicKeys: PlatformPublicKeys = NO_PUBLIC_KEYS,
): IdentityTokenResult {
  let header: unknown
  let payload: unknown
  try {
    ;({ header, payload } = decode(token) as { header: unknown; payload: unknown })
  } catch {
    return { kind: 'unreadable' }
  }
  if (!isPlainObject(header) || !isPlainObject(payload)) return { kind: 'unreadable' }
  const identity = readIdentity(payload)
  if (!identity) return { kind: 'unreadable' }
  if (publicKeys.count > 0 && isPublicKeyAlgorithm(header.alg)) {
    if (header.crit !== undefined) return { kind: 'invalid', identity, failure: 'crit' }
    return verifyWithPublicKey(token, header, payload, identity, publicKeys, now)
  }
  if (header.alg !== 'HS256') return { kind: 'invalid', identity, failure: 'algorithm' }
  if (header.crit !== undefined) return { kind: 'invalid', identity, failure: 'crit' }

  let candidates = activeSecrets
  if (header.kid !== undefined) {
    const named = activeSecrets.find((s) => s.id === header.kid)
    if (!named) {
      // HS256 naming a public key's kid: someone used the public key as an HMAC secret.
      const confused = typeof header.kid === 'string' && publicKeys.count > 0 && publicKeys.lookup(header.kid).kind === 'found'
      return { kind: 'invalid', identity, failure: confused ? 'algorithm' : 'unknown_kid' }
    }
    candidates = [named]
  }
  for (const secret of candidates) {
    try {
      secret.verifyIdentityToken(token)
    } catch (error) {
      const code = (error as { code?: string }).code
      if (code === 'FAST_JWT_INVALID_SIGNATURE') continue
      // The signature matched (fast-jwt checks it before the claims), so the claims decide.
      if (code === 'FAST_JWT_EXPIRED') return { kind: 'invalid', identity, failure: 'expired' }
      return { kind: 'invalid', identity, failure: 'claims' }
    }
    return acceptSigned(payload, identity, secret.id, now)
  }
  return { kind: 'invalid', identity, failure: 'signature' }
}
