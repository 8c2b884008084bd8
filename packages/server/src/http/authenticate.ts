import type { IncomingMessage } from 'node:http'
import type { ConfigCache } from '../config-cache/config-cache.js'
import { isActiveSecret } from '../config-cache/app-runtime.js'
import { VerityError } from '../errors/verity-error.js'
import { hashAdminKey } from '../storage/admin-key-repository.js'
import type { AccessTokenClaims } from '../tokens/access-token-claims.js'
import { bearerChallenge } from '../tokens/access-token-keyring.js'

function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization
  if (header === undefined) return null
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header)
  return match ? match[1]! : ''
}

/** The actor behind an admin key. Keys are compared by digest, so timing says nothing of them. */
export function authenticateAdmin(req: IncomingMessage, cache: ConfigCache): string {
  const key = bearerToken(req)
  const actor = key ? cache.adminActor(hashAdminKey(key)) : undefined
  if (!actor) throw new VerityError('unauthorized', undefined, { headers: bearerChallenge() })
  return actor
}

/**
 * The claims of the messenger's access token. A token is valid only while it is current (below).
 * 503 while the configuration cannot be confirmed (older than the fail-closed bound).
 */
export function authenticateMessenger(req: IncomingMessage, cache: ConfigCache): AccessTokenClaims {
  const token = bearerToken(req)
  if (token === null) throw new VerityError('token_missing', undefined, { headers: bearerChallenge() })
  // A revocation may be missing from configuration this old: fail closed (503), as auth does.
  cache.assertFresh()
  const claims = cache.keyring.verify(token)
  if (!isSessionCurrent(claims, cache)) {
    throw new VerityError('token_invalid', 'The access token is no longer valid. Authenticate again.', {
      headers: bearerChallenge('invalid_token', 'The access token was revoked'),
    })
  }
  return claims
}

/**
 * Whether a well-signed token still stands: the one place where an issued token stops working
 * before its expiry, asked on every messenger call and before every live delivery (a rule added
 * here, such as a user signed out before some time, holds everywhere at once).
 * - its app exists;
 * - a verified session's secret is still active (revoking a secret ends the tokens it verified);
 * - an unverified session's platform is not enforced: no unverified session is let in on an
 *   enforced platform, so the ones issued before it was enforced stop there too;
 * - it was issued after its user's latest sign-out, whatever its trust: a session that only claimed
 *   the identity ends too.
 */
export function isSessionCurrent(claims: AccessTokenClaims, cache: ConfigCache): boolean {
  const app = cache.app(claims.aud)
  if (!app) return false
  if (claims.uid !== undefined || claims.email !== undefined) {
    const before = cache.signedOutBefore(app.id, { userId: claims.uid ?? null, email: claims.email ?? null })
    if (before !== undefined && claims.iat * 1000 < before) return false
  }
  switch (claims.trust) {
    case 'verified':
      return claims.sid !== undefined && isActiveSecret(app, claims.plt, claims.sid)
    case 'unverified':
      return app.platforms[claims.plt]?.enforced === false
    default:
      return true
  }
}
