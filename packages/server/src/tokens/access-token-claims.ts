import type { Platform } from '../verification/platforms.js'
import type { Trust } from '../verification/decide-session.js'

export const ACCESS_TOKEN_ISSUER = 'verity'

/** What Verity's access tokens carry. Only Verity reads them; clients treat them as opaque. */
export interface AccessTokenClaims {
  readonly iss: string
  /** The app id: a token is never valid on another app's data. */
  readonly aud: string
  /** Keeps user ids, emails and devices in separate namespaces. */
  readonly sub: string
  readonly iat: number
  readonly exp: number
  readonly trust: Trust
  readonly plt: Platform
  /** The secret that verified the proof; revoking it ends this token. */
  readonly sid?: string
  /** The device of an unverified or anonymous session. */
  readonly did?: string
  readonly uid?: string
  readonly email?: string
  /** True when the proof covered the email too; absent when the email is only claimed. */
  readonly emv?: true
}

export type SessionClaims = Omit<AccessTokenClaims, 'iss' | 'iat' | 'exp' | 'sub'>

/** Whether the session proved its email, not merely claimed it (only a verified session can). */
export function emailVerifiedOf(claims: Pick<AccessTokenClaims, 'trust' | 'email' | 'emv'>): boolean {
  return claims.trust === 'verified' && claims.emv === true && claims.email !== undefined
}

export function subjectOf(claims: SessionClaims): string {
  const identity = claims.uid !== undefined ? `uid:${claims.uid}` : claims.email !== undefined ? `email:${claims.email}` : null
  if (claims.trust === 'verified') return identity!
  return identity === null ? `dev:${claims.did}` : `dev:${claims.did}/${identity}`
}
