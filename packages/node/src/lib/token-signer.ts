/**
 * Turns the key given to `signIdentityToken()` into the algorithm and signing function it implies.
 *
 * @module
 */

import { Buffer } from 'node:buffer'
import { createHmac, createPrivateKey, KeyObject, sign, type JsonWebKey } from 'node:crypto'

import { assertSecret } from './check-secret.js'
import { describe } from './describe.js'

/** What `signIdentityToken()` signs with: a platform secret, or your own private key. */
export type IdentityTokenKey = string | KeyObject | JsonWebKey

export interface TokenSigner {
  readonly alg: 'HS256' | 'ES256' | 'EdDSA'
  sign(signingInput: string): string
}

const PEM = /^\s*-----BEGIN /

/**
 * A platform secret signs HS256. A private key signs with the one algorithm its type allows:
 * ES256 for an EC P-256 key, EdDSA for an Ed25519 key. Nothing else is accepted, so the
 * algorithm never depends on anything but the key.
 */
export function tokenSigner(fn: string, key: unknown): TokenSigner {
  // Anything but a string or an object is a secret gone missing (an unset environment variable).
  if ((typeof key !== 'object' || key === null) && typeof key !== 'string') assertSecret(fn, key)
  if (typeof key === 'string' && !PEM.test(key)) {
    assertSecret(fn, key)
    const secret = Buffer.from(key, 'utf8')
    return { alg: 'HS256', sign: (input) => createHmac('sha256', secret).update(input, 'utf8').digest('base64url') }
  }
  const privateKey = privateKeyOf(fn, key)
  const type = privateKey.asymmetricKeyType
  if (type === 'ec') {
    const curve = privateKey.asymmetricKeyDetails?.namedCurve
    if (curve !== 'prime256v1') {
      throw new TypeError(`${fn}: the EC key is on curve ${curve ?? 'unknown'}; Verity verifies ES256, which is P-256 (prime256v1) only`)
    }
    return {
      alg: 'ES256',
      sign: (input) => sign('sha256', Buffer.from(input, 'utf8'), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url'),
    }
  }
  if (type === 'ed25519') {
    return { alg: 'EdDSA', sign: (input) => sign(null, Buffer.from(input, 'utf8'), privateKey).toString('base64url') }
  }
  throw new TypeError(`${fn}: a ${type ?? 'unknown'} key cannot sign identity tokens; use an EC P-256 key (ES256) or an Ed25519 key (EdDSA)`)
}

function privateKeyOf(fn: string, key: unknown): KeyObject {
  if (key instanceof KeyObject) {
    if (key.type !== 'private') {
      throw new TypeError(
        `${fn}: the key is a ${key.type} key; sign with the private key (Verity holds the public one) ` +
          'or with a platform secret string',
      )
    }
    return key
  }
  if (typeof key === 'string') {
    try {
      return createPrivateKey(key)
    } catch {
      throw new TypeError(
        `${fn}: the PEM is not a private key that node:crypto can read (a public key cannot sign: ` +
          'give the private key, for example the file `openssl genpkey` wrote)',
      )
    }
  }
  if (typeof key === 'object' && key !== null && !Array.isArray(key) && 'kty' in key) {
    if (!('d' in key)) {
      throw new TypeError(`${fn}: the JWK has no "d": it is a public key, which cannot sign; give the private JWK`)
    }
    try {
      return createPrivateKey({ key: key as JsonWebKey, format: 'jwk' })
    } catch (error) {
      throw new TypeError(`${fn}: the JWK is not a private key node:crypto can read: ${(error as Error).message}`)
    }
  }
  throw new TypeError(
    `${fn}: key must be a platform secret (string), a private key (a KeyObject or a PEM string) ` +
      `or a private JWK, got ${describe(key)}`,
  )
}
