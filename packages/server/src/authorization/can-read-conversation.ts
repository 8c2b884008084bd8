import type { AccessTokenClaims } from '../tokens/access-token-claims.js'
import { identityKey } from '../verification/identity.js'

/** What the rule needs of a session: the access token's app, trust, device and claimed identity. */
export type Reader = Pick<AccessTokenClaims, 'aud' | 'trust' | 'did' | 'uid' | 'email'>

/**
 * The columns of a conversation that decide who reads it: the space of the session that created
 * it. A null column means "none" (no identity for anonymous visitors, no device when verified).
 */
export interface ConversationSpace {
  readonly app_id: string
  readonly trust: string
  readonly user_key: string | null
  readonly device_id: string | null
}

/**
 * The one space a session creates conversations in and reads them from, or null when the claims
 * do not describe a coherent session (then it reads nothing). A verified session's space is its
 * user: any device, any verified session of that user. Any other session's space is its device
 * and its claimed identity together, because a claim alone proves nothing: "alice" typed on
 * device D, an anonymous visitor on D and "bob" on D are three spaces, and none is verified
 * Alice's. The app always scopes the space, so the same user id in another app is another user.
 */
export function spaceOf(session: Reader): ConversationSpace | null {
  const identified = session.uid !== undefined || session.email !== undefined
  const userKey = identified ? identityKey({ userId: session.uid ?? null, email: session.email ?? null }) : null
  switch (session.trust) {
    case 'verified':
      return userKey === null ? null : { app_id: session.aud, trust: 'verified', user_key: userKey, device_id: null }
    case 'unverified':
      return userKey === null || !session.did ? null : { app_id: session.aud, trust: 'unverified', user_key: userKey, device_id: session.did }
    case 'anonymous':
      return userKey !== null || !session.did ? null : { app_id: session.aud, trust: 'anonymous', user_key: null, device_id: session.did }
    default:
      return null
  }
}

/**
 * The list filter: conversations whose four space columns equal these (null meaning IS NULL).
 * Null when the session may read nothing at all.
 */
export function readableConversationFilter(session: Reader): ConversationSpace | null {
  return spaceOf(session)
}

/** True when `session` may read `conversation`; anything else must look like it does not exist. */
export function canReadConversation(session: Reader, conversation: ConversationSpace): boolean {
  const space = spaceOf(session)
  return (
    space !== null &&
    space.app_id === conversation.app_id &&
    space.trust === conversation.trust &&
    space.user_key === conversation.user_key &&
    space.device_id === conversation.device_id
  )
}
