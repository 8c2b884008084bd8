import { createSigner, createVerifier } from 'fast-jwt'
import { VerityError } from '../errors/verity-error.js'
import type { SigningKey } from '../storage/signing-key-repository.js'
import { ACCESS_TOKEN_ISSUER, subjectOf, type AccessTokenClaims, type SessionClaims } from './access-token-claims.js'

interface KeyEntry {
  readonly id: string
  readonly sign: (payload: object) => string
  readonly verify: (token: string) => AccessTokenClaims
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
      const sign = createSigner({ key: key.key, algorithm: 'HS256', kid: key.id, header: { alg: 'HS256', typ: 'at+jwt' } })
      const verifyToken = createVerifier({
        key: key.key,
        algorithms: ['HS256'],
        allowedIss: ACCESS_TOKEN_ISSUER,
        requiredClaims: ['exp', 'iat', 'aud', 'sub'],
        cache: false,
      })
      const entry: KeyEntry = { id: key.id, sign, verify: verifyToken as (t: string) => AccessTokenClaims, retiresAt }
      const header = sign({}).split('.')[0]!
      this.#byHeader.set(header, entry)
      signer = entry
    })
    this.#signer = signer!
  }

  get signingKeyId(): string {
    return this.#signer.id
  }

  sign(session: SessionClaims, now: number = Date.now()): { token: string; expiresIn: number } {
    const iat = Math.floor(now / 1000)
    const payload = { iss: ACCESS_TOKEN_ISSUER, sub: subjectOf(session), iat, exp: iat + this.#ttlSeconds, ...session }
    return { token: this.#signer.sign(payload), expiresIn: this.#ttlSeconds }
  }

  /** The claims of a valid token; a VerityError token_invalid / token_expired otherwise. */
  verify(token: string, now: number = Date.now()): AccessTokenClaims {
    const dot = token.indexOf('.')
    const entry = dot > 0 ? this.#byHeader.get(token.slice(0, dot)) : undefined
    if (!entry || now >= entry.retiresAt) throw invalid()
    try {
      return entry.verify(token)
    } catch (error) {
      if ((error as { code?: string }).code === 'FAST_JWT_EXPIRED') {
        throw new VerityError('token_expired', undefined, { headers: bearerChallenge('invalid_token', 'The access token expired') })
      }
      throw invalid()
    }
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
