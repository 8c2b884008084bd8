/**
 * Signs the identity token: a short-lived JWT that proves who the user is and may carry
 * attributes that the messenger cannot change. HS256 with a platform secret, or ES256 / EdDSA with
 * your own private key (customer-held keys: Verity holds only the public key).
 *
 * @module
 */

import { Buffer } from 'node:buffer'

import { checkIdentity } from './lib/check-identity.js'
import { assertJsonObject } from './lib/check-json-object.js'
import { describe } from './lib/describe.js'
import { tokenSigner, type IdentityTokenKey } from './lib/token-signer.js'
import type { SignIdentityTokenOptions, TokenIdentity } from './types.js'

const FN = 'signIdentityToken'
/** Verity refuses identity tokens whose `exp` is more than a day after their `iat`. */
const MAX_EXPIRES_IN = 86_400

/**
 * An identity token for `identity`: a compact JWS signed with a platform secret (HS256) or with
 * your own private key (ES256 for an EC P-256 key, EdDSA for an Ed25519 key; the algorithm follows
 * from the key, never from an option).
 *
 * Prefer it over `userHash()` when a proof should expire or when the messenger should show
 * attributes the user cannot change. Hand it to the app after your own login, and again whenever
 * the messenger asks for a fresh one through its `getIdentityToken` callback: keep `expiresIn`
 * short (minutes; at most a day, 86400 s, since Verity refuses a token that lives longer).
 *
 * The header is `{"alg":"HS256","typ":"JWT"}` (or ES256 / EdDSA), plus `kid` when `keyId` is given;
 * with a private key `keyId` is required: it is the `kid` you registered the public key under. The claims are
 * `user_id` and/or `email`, `attributes` when given, `iat` and `exp`. Verity identifies the user by
 * `user_id` when the token has one, else by `email`.
 *
 * @param key A platform secret of your Verity app (web, ios and android each have their own;
 *   they are not interchangeable), read from your server's environment; or your private key, as a
 *   `KeyObject`, a PEM string (`-----BEGIN PRIVATE KEY-----` as `openssl genpkey` writes it) or a
 *   private JWK, whose public half is registered on the platform
 *   (`POST /admin/v1/apps/{app_id}/platforms/{platform}/public-keys`).
 * @param identity The signed-in user, and optionally the `attributes` to sign. Attributes are
 *   signed, not encrypted: the user can read them.
 * @param options `expiresIn` in seconds (required), `keyId` (the id of the secret, or the `kid` of
 *   the registered public key, sent as `kid`; required with a private key), and `now` for tests.
 * @returns The token, `header.payload.signature` in base64url without padding.
 * @throws {TypeError} For the mistakes `userHash()` throws on, for a public key, an RSA key or a
 *   curve other than P-256 and Ed25519, for a private key without `keyId`, and when `attributes` is not a plain
 *   JSON object, when `expiresIn` is not a positive whole number of seconds or is over 86400 (a
 *   day, the longest Verity accepts), when `keyId` is not a
 *   non-empty string, or when `now` is not a valid Date.
 *
 * @example
 * ```ts
 * import { signIdentityToken } from '@verity/node'
 *
 * const identityToken = signIdentityToken(
 *   process.env.VERITY_WEB_SECRET!,
 *   { userId: String(user.id), email: user.email, attributes: { plan: user.plan } },
 *   { expiresIn: 600, keyId: process.env.VERITY_WEB_SECRET_ID },
 * )
 * // The app passes it to messenger.login({ identityToken }) and nothing else: the identity comes
 * // from the token alone.
 * ```
 *
 * @example With your own private key (ES256): Verity holds only its public half.
 * ```ts
 * import { readFileSync } from 'node:fs'
 * import { signIdentityToken } from '@verity/node'
 *
 * const privateKey = readFileSync('/run/secrets/verity-es256.pem', 'utf8')
 * const identityToken = signIdentityToken(privateKey, { userId: String(user.id) }, {
 *   expiresIn: 600,
 *   keyId: '2026-01', // the kid the public key was registered under
 * })
 * ```
 *
 * @example In a test, with a fixed clock.
 * ```ts
 * const token = signIdentityToken('s3cr3t', { userId: '42' }, {
 *   expiresIn: 60,
 *   now: new Date('2030-01-01T00:00:00Z'),
 * })
 * // payload: {"user_id":"42","iat":1893456000,"exp":1893456060}
 * ```
 */
export function signIdentityToken(
  key: IdentityTokenKey,
  identity: TokenIdentity,
  options: SignIdentityTokenOptions,
): string {
  const signer = tokenSigner(FN, key)
  const { userId, email } = checkIdentity(FN, identity, ['userId', 'email', 'attributes'])
  const attributes = identity.attributes
  if (attributes !== undefined) assertJsonObject(FN, 'identity.attributes', attributes)
  const { expiresIn, keyId, now } = checkOptions(options)
  if (signer.alg !== 'HS256' && keyId === undefined) {
    throw new TypeError(
      `${FN}: options.keyId is required with a private key: give the kid you registered its public key under`,
    )
  }

  const iat = Math.floor(now.getTime() / 1000)
  // JSON.stringify leaves out the fields that are undefined: kid, user_id, email, attributes.
  const header = { alg: signer.alg, typ: 'JWT', kid: keyId }
  const payload = { user_id: userId, email, attributes, iat, exp: iat + expiresIn }
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`
  return `${signingInput}.${signer.sign(signingInput)}`
}

interface CheckedOptions {
  readonly expiresIn: number
  readonly keyId: string | undefined
  readonly now: Date
}

function checkOptions(options: unknown): CheckedOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(
      `${FN}: options must be an object such as { expiresIn: 600 }, got ${describe(options)}`,
    )
  }
  for (const key of Object.keys(options)) {
    if (key !== 'expiresIn' && key !== 'keyId' && key !== 'now') {
      throw new TypeError(
        `${FN}: options has an unknown field "${key}"; the fields are expiresIn, keyId, now`,
      )
    }
  }
  const { expiresIn, keyId, now } = options as Record<string, unknown>
  if (typeof expiresIn !== 'number') {
    throw new TypeError(
      `${FN}: options.expiresIn must be a number of seconds such as 600, ` +
        `got ${describe(expiresIn)}`,
    )
  }
  if (!Number.isSafeInteger(expiresIn) || expiresIn <= 0) {
    throw new TypeError(
      `${FN}: options.expiresIn must be a positive whole number of seconds, got ${expiresIn}`,
    )
  }
  if (expiresIn > MAX_EXPIRES_IN) {
    throw new TypeError(
      `${FN}: options.expiresIn must be at most ${MAX_EXPIRES_IN} seconds (24 hours), got ${expiresIn}: ` +
        'Verity refuses identity tokens that live longer; sign a fresh one at each login instead',
    )
  }
  if (keyId !== undefined && (typeof keyId !== 'string' || keyId === '')) {
    throw new TypeError(
      `${FN}: options.keyId must be the id of the Verity secret or the kid of your public key, a non-empty string, got ` +
        (keyId === '' ? 'an empty string' : describe(keyId)),
    )
  }
  if (now !== undefined && !(now instanceof Date && Number.isFinite(now.getTime()))) {
    throw new TypeError(`${FN}: options.now must be a valid Date, got ${describe(now)}`)
  }
  return { expiresIn, keyId, now: now ?? new Date() }
}

function base64url(json: string): string {
  return Buffer.from(json, 'utf8').toString('base64url')
}
