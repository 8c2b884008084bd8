/**
 * The shapes that `userHash()` and `signIdentityToken()` take.
 *
 * @module
 */

/**
 * Who the signed-in user is, exactly as your app will tell the messenger.
 *
 * Give `userId` whenever your system has one: Verity then identifies the user by it, and the email
 * is contact data only. An email alone identifies the user when there is no id. The two are
 * different namespaces: a `userId` equal to someone's email is a different user.
 *
 * @example
 * ```ts
 * const identity: Identity = { userId: String(user.id), email: user.email }
 * ```
 */
export interface Identity {
  /** Your stable id for the user, as a string (`String(user.id)` for a number); 1–255 chars. */
  readonly userId?: string
  /**
   * The user's email, byte for byte as the app sends it (no trimming, no case folding);
   * 1–255 characters.
   */
  readonly email?: string
}

/**
 * An {@link Identity} plus the attributes that an identity token may sign.
 *
 * @example
 * ```ts
 * const identity: TokenIdentity = {
 *   userId: '42',
 *   attributes: { plan: 'pro', company: { id: 'c_7', name: 'Acme' } },
 * }
 * ```
 */
export interface TokenIdentity extends Identity {
  /**
   * Facts about the user that the messenger may show but must not be able to change, such as a
   * plan or an account id. Verity stores them as verified attributes, and the messenger gets 409
   * `signed_attribute` if it tries to change them. A plain JSON object; signed, **not** encrypted:
   * the user can read them.
   */
  readonly attributes?: Readonly<Record<string, unknown>>
}

/**
 * Options of `signIdentityToken()`.
 *
 * @example
 * ```ts
 * const options: SignIdentityTokenOptions = {
 *   expiresIn: 10 * 60,
 *   keyId: process.env.VERITY_WEB_SECRET_ID,
 * }
 * ```
 */
export interface SignIdentityTokenOptions {
  /**
   * Lifetime of the token in seconds: a positive whole number. Keep it short (minutes, at most a
   * day), because a token's expiry is what it has over a user hash, which stays valid until the
   * secret is revoked.
   */
  readonly expiresIn: number
  /**
   * The Verity id of the secret that you pass as `secret`, sent as the JWT `kid` header. Verity
   * then checks only that secret (an unknown or revoked id makes the token invalid) instead of
   * trying every active secret of the platform, which keeps a rotation unambiguous.
   */
  readonly keyId?: string
  /** The time the token is issued at. For tests; leave it out otherwise. */
  readonly now?: Date
}
