import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto'

/**
 * HS256 for Verity's own access tokens, on node:crypto alone, with the header fixed per key.
 *
 * It replaces fast-jwt on the hot path (every auth signs, every messenger call verifies): same
 * tokens byte for byte and the same verdicts (hs256.test.ts compares both over the cases that
 * matter), at about half the cost, and without fast-jwt's per-signature garbage, which outlived
 * the request and fed the old generation at tens of MB a second under load.
 */

const BASE64URL = /^[A-Za-z0-9_-]*$/
const SIGNATURE_BYTES = 32
/** Claims every access token carries; a token without one of them is refused. */
const REQUIRED_CLAIMS = ['exp', 'iat', 'aud', 'sub'] as const

export type Hs256Verdict =
  | { readonly ok: true; readonly claims: Record<string, unknown> }
  | { readonly ok: false; readonly reason: 'invalid' | 'expired' }

const INVALID: Hs256Verdict = Object.freeze({ ok: false, reason: 'invalid' })
const EXPIRED: Hs256Verdict = Object.freeze({ ok: false, reason: 'expired' })

export class Hs256Key {
  /** The token's first segment: base64url of the JSON header, fixed for this key. */
  readonly header: string
  readonly #key: KeyObject
  readonly #issuer: string

  constructor(key: Buffer, header: Readonly<Record<string, string>>, issuer: string) {
    if (key.length === 0) throw new TypeError('an HS256 key must not be empty')
    this.#key = createSecretKey(key)
    this.header = Buffer.from(JSON.stringify(header), 'utf8').toString('base64url')
    this.#issuer = issuer
  }

  sign(payload: object): string {
    const input = `${this.header}.${Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url')}`
    return `${input}.${createHmac('sha256', this.#key).update(input).digest('base64url')}`
  }

  /**
   * For a token whose header segment is this key's (the caller matched it): signature in constant
   * time, then the claims: exp, iat, aud and sub present; nbf, when present, a number not in the
   * future; exp a number not in the past (else "expired"); iss, when present, the issuer.
   */
  verify(token: string, now: number): Hs256Verdict {
    const first = token.indexOf('.')
    const last = token.lastIndexOf('.')
    if (first <= 0 || first >= last) return INVALID
    const payloadSegment = token.slice(first + 1, last)
    const signatureSegment = token.slice(last + 1)
    if (!BASE64URL.test(payloadSegment) || !BASE64URL.test(signatureSegment)) return INVALID
    const signature = Buffer.from(signatureSegment, 'base64url')
    if (signature.length !== SIGNATURE_BYTES) return INVALID
    const expected = createHmac('sha256', this.#key).update(token.slice(0, last)).digest()
    if (!timingSafeEqual(expected, signature)) return INVALID

    let claims: unknown
    try {
      claims = JSON.parse(Buffer.from(payloadSegment, 'base64url').toString('utf8'))
    } catch {
      return INVALID
    }
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return INVALID
    const c = claims as Record<string, unknown>
    for (const claim of REQUIRED_CLAIMS) if (!(claim in c)) return INVALID
    if ('nbf' in c && (typeof c.nbf !== 'number' || !(now >= c.nbf * 1000))) return INVALID
    if ('exp' in c) {
      if (typeof c.exp !== 'number') return INVALID
      if (!(now <= c.exp * 1000)) return EXPIRED
    }
    if ('iss' in c && c.iss !== this.#issuer) return INVALID
    return { ok: true, claims: c }
  }
}
