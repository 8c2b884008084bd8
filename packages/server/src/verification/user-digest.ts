import { createHash } from 'node:crypto'
import { identityKey, type ClaimedIdentity } from './identity.js'

/**
 * A compact digest of the namespaced identity: what statistics and sign-outs store instead of the
 * identifier itself, so that neither holds a user id or an email in the clear.
 */
export function userDigest(identity: ClaimedIdentity): string {
  return createHash('sha256').update(identityKey(identity), 'utf8').digest('base64url').slice(0, 22)
}
