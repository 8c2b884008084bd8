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
 * The claims of the messenger's access token. A token is valid only while its app exists and,
 * for a verified session, while the secret that verified it is active. 503 while the configuration
 * cannot be confirmed (older than the fail-closed bound).
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

/** Whether a verified token's app and secret still stand; long-lived streams re-check it. */
export function isSessionCurrent(claims: AccessTokenClaims, cache: ConfigCache): boolean {
  const app = cache.app(claims.aud)
  if (!app) return false
  return claims.trust !== 'verified' || (claims.sid !== undefined && isActiveSecret(app, claims.plt, claims.sid))
}
