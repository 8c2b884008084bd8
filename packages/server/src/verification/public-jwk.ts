import { createPublicKey, type KeyObject } from 'node:crypto'

/** The algorithms a customer-held key may sign identity tokens with, one per key type. */
export type PublicKeyAlgorithm = 'ES256' | 'EdDSA'

/** A public key ready to verify with; its algorithm is fixed by its type, never by a token. */
export interface PublicJwk {
  readonly kid: string
  readonly algorithm: PublicKeyAlgorithm
  /** The public members only, as stored and shown: kty, crv, x, (y), kid, alg. */
  readonly jwk: Readonly<Record<string, string>>
  readonly key: KeyObject
}

export type JwkProblem =
  | { readonly code: 'public_key_private'; readonly message: string }
  | { readonly code: 'public_key_unsupported'; readonly message: string }
  | { readonly code: 'public_key_invalid'; readonly message: string }

export const MAX_KID_LENGTH = 200
const BASE64URL = /^[A-Za-z0-9_-]+$/
// Members that only a private or symmetric JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const

/** The header `alg` values each key type verifies; EdDSA's fully specified name (RFC 9864) too. */
export const ALGORITHM_NAMES: Readonly<Record<PublicKeyAlgorithm, readonly string[]>> = {
  ES256: ['ES256'],
  EdDSA: ['EdDSA', 'Ed25519'],
}

/** Whether a token's `alg` header names a public-key algorithm Verity verifies. */
export function isPublicKeyAlgorithm(alg: unknown): boolean {
  return alg === 'ES256' || alg === 'EdDSA' || alg === 'Ed25519'
}

export function kidProblem(kid: unknown): string | null {
  if (typeof kid !== 'string' || kid.length === 0) return 'a JWK needs a "kid": the key id your tokens name in their header'
  if (kid.length > MAX_KID_LENGTH) return `"kid" must be at most ${MAX_KID_LENGTH} characters`
  if (!/^[\x21-\x7e]+$/.test(kid)) return '"kid" must be printable ASCII without spaces'
  return null
}

/**
 * Reads a JWK that a customer registers (or that their JWKS serves): a public P-256 key for ES256
 * or a public Ed25519 key for EdDSA, with a `kid`. Private halves, symmetric keys, RSA and other
 * curves are refused with a code that says which, and the point itself must be a valid public key.
 */
export function readPublicJwk(value: unknown): PublicJwk | JwkProblem {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return invalid('"jwk" must be a JSON object (one JWK, not a JWKS)')
  const jwk = value as Record<string, unknown>
  if (jwk.kty === 'oct') return { code: 'public_key_unsupported', message: 'This is a symmetric key (kty "oct"): register a public EC P-256 or Ed25519 key, or use platform secrets for HS256.' }
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) {
    return { code: 'public_key_private', message: 'This JWK holds a private key: register its public half only (without "d"), and keep the private key on your server.' }
  }
  if (jwk.kty === 'RSA') return { code: 'public_key_unsupported', message: 'RSA keys are not supported: use an EC P-256 key (ES256) or an Ed25519 key (EdDSA).' }
  let algorithm: PublicKeyAlgorithm
  if (jwk.kty === 'EC') {
    if (jwk.crv !== 'P-256') return { code: 'public_key_unsupported', message: `The EC curve ${JSON.stringify(jwk.crv)} is not supported: use P-256 (ES256).` }
    algorithm = 'ES256'
  } else if (jwk.kty === 'OKP') {
    if (jwk.crv !== 'Ed25519') return { code: 'public_key_unsupported', message: `The OKP curve ${JSON.stringify(jwk.crv)} is not supported: use Ed25519 (EdDSA).` }
    algorithm = 'EdDSA'
  } else {
    return { code: 'public_key_unsupported', message: `The key type ${JSON.stringify(jwk.kty)} is not supported: use EC with crv P-256 (ES256) or OKP with crv Ed25519 (EdDSA).` }
  }
  const kidError = kidProblem(jwk.kid)
  if (kidError) return invalid(kidError)
  if (jwk.alg !== undefined && !ALGORITHM_NAMES[algorithm].includes(jwk.alg as string)) {
    return invalid(`"alg" ${JSON.stringify(jwk.alg)} does not match the key type: a ${jwk.crv} key signs ${algorithm} only`)
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') return invalid('"use" must be "sig" when present: this key verifies signatures')
  if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return invalid('"key_ops" must include "verify" when present')
  const members = algorithm === 'ES256' ? (['x', 'y'] as const) : (['x'] as const)
  for (const member of members) {
    // A P-256 coordinate and an Ed25519 key are 32 bytes: 43 base64url characters.
    if (typeof jwk[member] !== 'string' || !BASE64URL.test(jwk[member] as string) || (jwk[member] as string).length !== 43) {
      return invalid(`"${member}" must be the 32-byte coordinate in base64url (43 characters)`)
    }
  }
  const publicJwk: Record<string, string> = { kty: jwk.kty as string, crv: jwk.crv as string, x: jwk.x as string }
  if (algorithm === 'ES256') publicJwk.y = jwk.y as string
  let key: KeyObject
  try {
    key = createPublicKey({ key: publicJwk, format: 'jwk' })
  } catch {
    return invalid('the coordinates are not a valid public key (for P-256, a point on the curve)')
  }
  publicJwk.kid = jwk.kid as string
  publicJwk.alg = algorithm
  return { kid: jwk.kid as string, algorithm, jwk: Object.freeze(publicJwk), key }
}

export function isJwkProblem(value: PublicJwk | JwkProblem): value is JwkProblem {
  return 'code' in value
}

function invalid(message: string): JwkProblem {
  return { code: 'public_key_invalid', message: `The JWK is not valid: ${message}.` }
}
