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
 * for a verified session, while the secret that verified it is active.
 */
export function authenticateMessenger(req: IncomingMessage, cache: ConfigCache): AccessTokenClaims {
  const token = bearerToken(req)
  if (token === null) throw new VerityError('token_missing', undefined, { headers: bearerChallenge() })
  const claims = cache.keyring.verify(token)
  const app = cache.app(claims.aud)
  const revoked = claims.trust === 'verified' && (!app || claims.sid === undefined || !isActiveSecret(app, claims.plt, claims.sid))
  if (!app || revoked) {
    throw new VerityError('token_invalid', 'The access token is no longer valid. Authenticate again.', {
      headers: bearerChallenge('invalid_token', 'The access token was revoked'),
    })
  }
  return claims
}
