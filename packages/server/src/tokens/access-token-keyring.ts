import { VerityError } from '../errors/verity-error.js'
import { ACCESS_TOKEN_ISSUER, subjectOf, type AccessTokenClaims, type SessionClaims } from './access-token-claims.js'
import { Hs256Key } from './hs256.js'

/** One of Verity's own keys for access tokens, as storage hands it over decrypted. */
export interface SigningKey {
  readonly id: string
  readonly key: Buffer
  readonly createdAt: string
}

interface KeyEntry {
  readonly id: string
  readonly hs256: Hs256Key
  /** After this time (ms) the key no longer verifies: every token it signed has expired. */
  readonly retiresAt: number
}

/**
 * Signs access tokens with the newest signing key and verifies them with any key still in
 * service. HS256 with Verity's own keys: only Verity verifies its tokens, and a symmetric check
 * costs a few microseconds on every messenger call.
 *
 * Tokens are recognised by their exact header segment ({alg, typ: at+jwt, kid}), which pins the
 * algorithm and the token type before any signature work, and finds the key in one map lookup.
 */
export class AccessTokenKeyring {
  readonly #byHeader = new Map<string, KeyEntry>()
  readonly #signer: KeyEntry
  readonly #ttlSeconds: number

  constructor(keys: readonly SigningKey[], ttlSeconds: number) {
    if (keys.length === 0) throw new TypeError('AccessTokenKeyring needs at least one signing key')
    this.#ttlSeconds = ttlSeconds
    const sorted = [...keys].sort((a, b) => (a.id < b.id ? -1 : 1))
    let signer: KeyEntry | undefined
    sorted.forEach((key, i) => {
      const successor = sorted[i + 1]
      // A key stays in service until the last token it could have signed expires (plus a minute
      // of clock skew), so rotation never logs anyone out, and a leaked old key stops working.
      const retiresAt = successor ? Date.parse(successor.createdAt) + (ttlSeconds + 60) * 1000 : Infinity
      const hs256 = new Hs256Key(key.key, { alg: 'HS256', typ: 'at+jwt', kid: key.id }, ACCESS_TOKEN_ISSUER)
      const entry: KeyEntry = { id: key.id, hs256, retiresAt }
      this.#byHeader.set(hs256.header, entry)
      signer = entry
    })
    this.#signer = signer!
  }

  get signingKeyId(): string {
    return this.#signer.id
  }

  sign(session: SessionClaims, now: number = Date.now()): { token: string; expiresIn: number } {
    const iat = Math.floor(now / 1000)
    // The claims in a fixed order; absent ones are undefined and left out of the JSON.
    const payload = {
      iss: ACCESS_TOKEN_ISSUER,
      sub: subjectOf(session),
      iat,
      exp: iat + this.#ttlSeconds,
      aud: session.aud,
      trust: session.trust,
      plt: session.plt,
      sid: session.sid,
      did: session.did,
      uid: session.uid,
      email: session.email,
      emv: session.emv,
    }
    return { token: this.#signer.hs256.sign(payload), expiresIn: this.#ttlSeconds }
  }

  /** The claims of a valid token; a VerityError token_invalid / token_expired otherwise. */
  verify(token: string, now: number = Date.now()): AccessTokenClaims {
    const dot = token.indexOf('.')
    const entry = dot > 0 ? this.#byHeader.get(token.slice(0, dot)) : undefined
    if (!entry || now >= entry.retiresAt) throw invalid()
    const verdict = entry.hs256.verify(token, now)
    if (verdict.ok) return verdict.claims as unknown as AccessTokenClaims
    if (verdict.reason === 'expired') {
      throw new VerityError('token_expired', undefined, { headers: bearerChallenge('invalid_token', 'The access token expired') })
    }
    throw invalid()
  }
}

function invalid(): VerityError {
  return new VerityError('token_invalid', undefined, { headers: bearerChallenge('invalid_token', 'The access token is invalid') })
}

/** RFC 6750 challenge, so generic OAuth clients know to authenticate again. */
export function bearerChallenge(error?: string, description?: string): Record<string, string> {
  const params = error ? ` error="${error}", error_description="${description}"` : ''
  return { 'WWW-Authenticate': `Bearer realm="verity"${params}` }
}
