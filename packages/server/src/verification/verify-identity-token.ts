import { createDecoder, createVerifier } from 'fast-jwt'
import { identifierProblem, type ClaimedIdentity } from './identity.js'
import type { VerifyingSecret } from './verifying-secret.js'

export type IdentityTokenFailure = 'signature' | 'unknown_kid' | 'expired' | 'algorithm' | 'claims'

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
 * Verifies an identity token (API.md rule 4): HS256 only, signed with an active secret of the
 * platform (the one its `kid` names, else any), `exp` required with 60 s of leeway.
 */
export function verifyIdentityToken(
  token: string,
  activeSecrets: readonly VerifyingSecret[],
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
