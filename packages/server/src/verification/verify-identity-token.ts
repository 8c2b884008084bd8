import { createDecoder, createVerifier } from 'fast-jwt'
import { identifierProblem, type ClaimedIdentity } from './identity.js'
import type { VerifyingSecret } from './verifying-secret.js'

export type IdentityTokenFailure = 'signature' | 'unknown_kid' | 'expired' | 'algorithm' | 'claims' | 'lifetime' | 'crit'

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
 * Verifies an identity token (API.md rule 4): HS256 only, no `crit` header (Verity understands
 * no extension, and RFC 7515 says a token naming one it does not understand must be refused),
 * signed with an active secret of the platform (the one its `kid` names, else any), `exp`
 * required with 60 s of leeway and at most 24 h ahead.
 */
export function verifyIdentityToken(
  token: string,
  activeSecrets: readonly VerifyingSecret[],
  now: number = Date.now(),
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
  if (header.alg !== 'HS256') return { kind: 'invalid', identity, failure: 'algorithm' }
  if (header.crit !== undefined) return { kind: 'invalid', identity, failure: 'crit' }

  let candidates = activeSecrets
  if (header.kid !== undefined) {
    const named = activeSecrets.find((s) => s.id === header.kid)
    if (!named) return { kind: 'invalid', identity, failure: 'unknown_kid' }
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
    const lifetime = lifetimeProblem(payload, Math.floor(now / 1000))
    if (lifetime) return { kind: 'invalid', identity, failure: lifetime }
    const attributes = payload.attributes
    if (attributes !== undefined) {
      if (!isPlainObject(attributes) || JSON.stringify(attributes).length > MAX_SIGNED_ATTRIBUTES_BYTES) {
        return { kind: 'invalid', identity, failure: 'claims' }
      }
    }
    return { kind: 'valid', identity, secretId: secret.id, attributes: attributes ?? null }
  }
  return { kind: 'invalid', identity, failure: 'signature' }
}
