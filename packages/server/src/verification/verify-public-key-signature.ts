import { verify } from 'node:crypto'
import type { VerifyingPublicKey } from './platform-public-keys.js'
import { ALGORITHM_NAMES } from './public-jwk.js'

const BASE64URL = /^[A-Za-z0-9_-]+$/
// ES256 (r ‖ s, RFC 7518 §3.4) and Ed25519 signatures are both 64 bytes: 86 base64url characters.
const SIGNATURE_CHARACTERS = 86

/** Whether a token's `alg` header is the one algorithm this key signs. */
export function algorithmMatches(alg: unknown, key: VerifyingPublicKey): boolean {
  return typeof alg === 'string' && ALGORITHM_NAMES[key.algorithm].includes(alg)
}

/**
 * Whether the compact JWS is signed by this public key with the one algorithm the key's type
 * allows. The `alg` header must name that algorithm; it never chooses how to verify. The signature
 * must be exactly 64 bytes of canonical unpadded base64url, as a signer produces it: no DER, no padding.
 */
export function verifyPublicKeySignature(token: string, alg: unknown, key: VerifyingPublicKey): boolean {
  if (!algorithmMatches(alg, key)) return false
  const last = token.lastIndexOf('.')
  const signatureSegment = token.slice(last + 1)
  if (signatureSegment.length !== SIGNATURE_CHARACTERS || !BASE64URL.test(signatureSegment)) return false
  const signature = Buffer.from(signatureSegment, 'base64url')
  // Only the canonical encoding: the last character's spare bits must be zero, so one signature
  // has one spelling.
  if (signature.toString('base64url') !== signatureSegment) return false
  const input = Buffer.from(token.slice(0, last), 'ascii')
  if (key.algorithm === 'ES256') return verify('sha256', input, { key: key.key, dsaEncoding: 'ieee-p1363' }, signature)
  return verify(null, input, key.key, signature)
}
