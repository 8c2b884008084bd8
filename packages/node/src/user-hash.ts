/**
 * Computes the user hash that proves to Verity who the signed-in user is.
 *
 * @module
 */

import { Buffer } from 'node:buffer'
import { createHmac } from 'node:crypto'

import { assertSecret } from './lib/check-secret.js'
import { checkIdentity } from './lib/check-identity.js'
import type { Identity } from './types.js'

/**
 * The user hash for `identity`: `hex(HMAC-SHA256(secret, identifier))`, where the identifier is
 * `userId` when given, else `email`, both taken as their exact UTF-8 bytes.
 *
 * Call it on your server after your own login, with the secret of the platform the app runs on,
 * and hand the hash to the app together with the same `userId` (and email). The secret never
 * leaves your server. A hash does not expire: it stays valid until the secret is revoked. When that
 * matters, or to sign attributes, use `signIdentityToken()` instead.
 *
 * @param secret A platform secret of your Verity app (web, ios and android each have their own;
 *   they are not interchangeable). Read it from your server's environment.
 * @param identity The signed-in user, exactly as the app will send it to Verity.
 * @returns 64 lowercase hex characters.
 * @throws {TypeError} When the secret is missing or empty, when `identity` has neither `userId` nor
 *   `email` (or an unknown field), or when either one is not a string, is empty, has control
 *   characters or is over 255 characters: mistakes in the calling code, never the user's.
 *
 * @example
 * ```ts
 * import { userHash } from '@verity/node'
 *
 * const hash = userHash(process.env.VERITY_WEB_SECRET!, { userId: String(user.id) })
 * // Give { userId: String(user.id), userHash: hash } to the web app.
 * ```
 *
 * @example With both: the user id is hashed, and the email is sent along as contact data.
 * ```ts
 * userHash(secret, { userId: '42', email: 'ada@example.com' }) // same as { userId: '42' }
 * ```
 *
 * @example Without a user id, the email is the identity.
 * ```ts
 * userHash(secret, { email: 'ada@example.com' })
 * ```
 */
export function userHash(secret: string, identity: Identity): string {
  assertSecret('userHash', secret)
  // The identifier is checked with the email beside it, because the app will send both and Verity
  // refuses the whole request if either one is malformed.
  const { identifier } = checkIdentity('userHash', identity, ['userId', 'email'])
  return createHmac('sha256', Buffer.from(secret, 'utf8'))
    .update(Buffer.from(identifier, 'utf8'))
    .digest('hex')
}
